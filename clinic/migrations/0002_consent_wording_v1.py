from django.db import migrations

TEXT_EN = (
    "I allow this clinician to read the health data I log in msgut: my profile (name, email, MS course, "
    "year of diagnosis), my daily entries (meals, sleep, fatigue, mood, stress, digestion, my own symptoms, "
    "lifestyle and notes), my relapses, my MFIS questionnaires, my day scores and weekly charts, and to "
    "export them (CSV, JSON, FHIR, printable report) for my care. The clinician can add notes and their "
    "reading of my relapses; they cannot change my entries. Every time they open or export my data it is "
    "recorded and I can see it. I can stop this access at any time with one click; it ends at once. "
    "msgut supports, and never replaces, the care of my neurologist."
)
TEXT_FR = (
    "J'autorise ce soignant à lire les données de santé que je saisis dans msgut : mon profil (nom, e-mail, "
    "forme de SEP, année du diagnostic), mes saisies quotidiennes (repas, sommeil, fatigue, humeur, stress, "
    "digestion, mes propres symptômes, mode de vie et notes), mes poussées, mes questionnaires MFIS, mes "
    "scores du jour et mes graphiques hebdomadaires, et à les exporter (CSV, JSON, FHIR, rapport imprimable) "
    "pour mes soins. Le soignant peut ajouter des notes et sa lecture de mes poussées ; il ne peut pas modifier "
    "mes saisies. Chaque fois qu'il ouvre ou exporte mes données, c'est enregistré et je peux le voir. Je peux "
    "arrêter cet accès à tout moment d'un seul clic ; il prend fin immédiatement. msgut accompagne les soins "
    "de mon neurologue et ne les remplace jamais."
)


def publish(apps, schema_editor):
    ConsentWording = apps.get_model("clinic", "ConsentWording")
    ConsentWording.objects.get_or_create(version=1, defaults={"text_en": TEXT_EN, "text_fr": TEXT_FR})


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]

    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
