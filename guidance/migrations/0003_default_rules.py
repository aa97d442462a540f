"""The default rule set (product data) and its first published version.

The data is written out here, frozen, rather than imported from app code, so that
later edits to the code never change what this migration did.
"""

from django.db import migrations
from django.utils import timezone

A000 = "000_483052ed36bc9e50.txt"  # "What's the Link Between Gut Health and Multiple Sclerosis?" (IGEA, 2025)
A003 = "003_a922e33ba28b4f47.txt"  # "Gut-Brain Connection: How Microbiome Impacts Multiple Sclerosis" (J. Chen)

DEFAULT_RULES = [
    {
        "key": "mediterranean",
        "kind": "medas",
        "params": {"window": 7},
        "weight": 40,
        "order": 10,
        "title_en": "Mediterranean pattern (MEDAS)",
        "title_fr": "Alimentation méditerranéenne (MEDAS)",
        "source": f"{A003} — “Diet: Mediterranean Diet and Vitamin D”; “Effects That Also Play on Quality of Life”",
        "rationale_en": (
            "The second article explains that what we eat shapes our gut bacteria and how inflamed the body is. "
            "It describes the Mediterranean way of eating (lots of fruit, vegetables, legumes, whole grains, fish and "
            "vegetable oils, little saturated fat) as anti-inflammatory and good for people with MS: it is linked with "
            "less fatigue, a better quality of life and perhaps fewer relapses. Its practical tips come back to eating "
            "close to this model.\n\n"
            "We measure it with MEDAS, the 14-question screener of the PREDIMED study, without the wine question "
            "(13 items), over the last 7 days. Daily items are averaged over the days you logged; weekly items are "
            "counted over the week. Days you did not log earn nothing."
        ),
        "rationale_fr": (
            "Le second article explique que l’alimentation façonne les bactéries de l’intestin et le niveau "
            "d’inflammation du corps. Il présente l’alimentation méditerranéenne (beaucoup de fruits, de légumes, de "
            "légumineuses, de céréales complètes, de poisson et d’huiles végétales, peu de graisses saturées) comme "
            "anti-inflammatoire et bénéfique dans la SEP : elle est associée à moins de fatigue, une meilleure qualité "
            "de vie et peut-être moins de poussées. Ses conseils pratiques reviennent à manger au plus près de ce "
            "modèle.\n\n"
            "Nous la mesurons avec le MEDAS, le questionnaire en 14 questions de l’étude PREDIMED, sans la question sur "
            "le vin (13 items), sur les 7 derniers jours. Les items quotidiens sont moyennés sur les jours saisis ; les "
            "items hebdomadaires sont comptés sur la semaine. Un jour non saisi ne rapporte rien."
        ),
    },
    {
        "key": "fiber",
        "kind": "target",
        "params": {"measure": "fiber_g", "target": 25},
        "weight": 20,
        "order": 20,
        "title_en": "Fiber",
        "title_fr": "Fibres",
        "source": f"{A003} — “Diet: Mediterranean Diet and Vitamin D”, “Effects That Also Play on Quality of Life”; "
        f"{A000} — “Can Improving Gut Health Help Manage MS?”",
        "rationale_en": (
            "Both articles put fiber first. The first lists a fiber-rich, plant-based diet among the ways to support a "
            "healthier microbiome. The second explains why: fiber feeds the helpful bacteria, which then make "
            "short-chain fatty acids that dampen inflammation and support the cells that repair myelin; its first "
            "practical tip is a fiber-rich diet close to the Mediterranean model.\n\n"
            "Points grow with the grams of fiber you eat, up to the goal of 25 g a day. That figure is not from the "
            "articles: it is the adequate intake for adults set by the European Food Safety Authority (EFSA)."
        ),
        "rationale_fr": (
            "Les deux articles mettent les fibres en avant. Le premier cite une alimentation riche en fibres et à base "
            "de végétaux parmi les moyens de soutenir un microbiote plus sain. Le second explique pourquoi : les fibres "
            "nourrissent les bonnes bactéries, qui produisent alors des acides gras à chaîne courte qui freinent "
            "l’inflammation et aident les cellules qui réparent la myéline ; son premier conseil pratique est une "
            "alimentation riche en fibres, proche du modèle méditerranéen.\n\n"
            "Les points augmentent avec les grammes de fibres consommés, jusqu’à l’objectif de 25 g par jour. Ce "
            "chiffre ne vient pas des articles : c’est l’apport satisfaisant pour l’adulte fixé par l’Autorité "
            "européenne de sécurité des aliments (EFSA)."
        ),
    },
    {
        "key": "fermented",
        "kind": "daily_threshold",
        "params": {"measure": "fermented", "op": "at_least", "value": 1},
        "weight": 10,
        "order": 30,
        "title_en": "Fermented foods",
        "title_fr": "Aliments fermentés",
        "source": f"{A000} — “Can Improving Gut Health Help Manage MS?”",
        "rationale_en": (
            "The first article suggests bringing fermented foods such as yogurt, kefir, kimchi or sauerkraut into your "
            "meals as one way to support a healthier gut microbiome. One serving a day is a simple, countable way to "
            "follow that advice; miso, kombucha and other fermented foods count too."
        ),
        "rationale_fr": (
            "Le premier article propose d’ajouter à ses repas des aliments fermentés comme le yaourt, le kéfir, le "
            "kimchi ou la choucroute pour soutenir un microbiote intestinal plus sain. Une portion par jour est une "
            "façon simple et mesurable de suivre ce conseil ; le miso, le kombucha et les autres aliments fermentés "
            "comptent aussi."
        ),
    },
    {
        "key": "processed",
        "kind": "daily_threshold",
        "params": {"measure": "processed", "op": "at_most", "value": 2},
        "weight": 15,
        "order": 40,
        "title_en": "Processed and pro-inflammatory foods",
        "title_fr": "Aliments transformés et pro-inflammatoires",
        "source": f"{A003} — “Effects That Also Play on Quality of Life”; {A000} — “Can Improving Gut Health Help Manage MS?”",
        "rationale_en": (
            "The second article advises eating fewer of the foods it calls pro-inflammatory: foods rich in animal "
            "saturated fat, highly processed, very sugary or very spicy, such as cold cuts, cheeses and creams. The "
            "first article also suggests cutting down highly processed foods and added sugars.\n\n"
            "We count servings of ultra-processed foods (NOVA group 4) and of the foods the article names, each food "
            "once. The day earns the points when it stays at or under 2 servings."
        ),
        "rationale_fr": (
            "Le second article conseille de réduire les aliments qu’il qualifie de pro-inflammatoires : riches en "
            "graisses saturées animales, très transformés, très sucrés ou très épicés, comme la charcuterie, les "
            "fromages et les crèmes. Le premier article propose lui aussi de limiter les aliments très transformés et "
            "les sucres ajoutés.\n\n"
            "Nous comptons les portions d’aliments ultra-transformés (groupe NOVA 4) et des aliments cités par "
            "l’article, chaque aliment une seule fois. La journée rapporte les points si elle en reste à 2 portions "
            "au plus."
        ),
    },
    {
        "key": "sleep-regularity",
        "kind": "regularity",
        "params": {"measure": "mid_sleep_minutes", "window": 7, "min_days": 3, "full_at": 30, "zero_at": 90},
        "weight": 5,
        "order": 50,
        "title_en": "Regular sleep",
        "title_fr": "Sommeil régulier",
        "source": f"{A003} — “Effects That Also Play on Quality of Life”; “Microbiome Imbalance and Multiple Sclerosis”",
        "rationale_en": (
            "Among its practical tips the second article recommends keeping regular sleep hours. It also reports that "
            "the microbiome is tied to the body clock: people whose gut bacteria are more varied often sleep better.\n\n"
            "We look at the middle of your night (halfway between falling asleep and waking) over the last 7 nights: "
            "full points when it moves by 30 minutes or less, none from 90 minutes. At least 3 nights are needed."
        ),
        "rationale_fr": (
            "Parmi ses conseils pratiques, le second article recommande des horaires de sommeil réguliers. Il indique "
            "aussi que le microbiote est lié à l’horloge interne : les personnes dont les bactéries intestinales sont "
            "plus variées dorment souvent mieux.\n\n"
            "Nous regardons le milieu de votre nuit (entre l’endormissement et le réveil) sur les 7 dernières nuits : "
            "tous les points s’il varie de 30 minutes ou moins, aucun à partir de 90 minutes. Il faut au moins "
            "3 nuits saisies."
        ),
    },
    {
        "key": "activity",
        "kind": "rolling_count",
        "params": {"measure": "activity_minutes", "op": "at_least", "value": 150, "window": 7, "waive_during_relapse": True},
        "weight": 4,
        "order": 60,
        "title_en": "Physical activity",
        "title_fr": "Activité physique",
        "source": f"{A003} — “Effects That Also Play on Quality of Life”",
        "rationale_en": (
            "The second article's practical tips include physical activity suited to you. We add up your minutes of "
            "activity over the last 7 days; 150 minutes a week is the World Health Organization's general advice for "
            "adults, to adapt with your care team. During a relapse rest comes first, so this rule does not count on "
            "relapse days."
        ),
        "rationale_fr": (
            "Les conseils pratiques du second article incluent une activité physique adaptée. Nous additionnons vos "
            "minutes d’activité sur les 7 derniers jours ; 150 minutes par semaine est la recommandation générale de "
            "l’Organisation mondiale de la santé pour les adultes, à adapter avec votre équipe soignante. Pendant une "
            "poussée, le repos passe d’abord : cette règle ne compte pas les jours de poussée."
        ),
    },
    {
        "key": "no-tobacco",
        "kind": "daily_threshold",
        "params": {"measure": "tobacco", "op": "at_most", "value": 0},
        "weight": 3,
        "order": 70,
        "title_en": "No tobacco",
        "title_fr": "Pas de tabac",
        "source": f"{A003} — “The Causes of Multiple Sclerosis Are Still Under Investigation”; “Effects That Also Play on Quality of Life”",
        "rationale_en": (
            "The second article names smoking among the environmental factors that play a part in MS, and its "
            "practical tips advise steering clear of tobacco. A day without tobacco earns the points."
        ),
        "rationale_fr": (
            "Le second article cite le tabac parmi les facteurs environnementaux qui jouent un rôle dans la SEP, et "
            "ses conseils pratiques recommandent de l’éviter. Une journée sans tabac rapporte les points."
        ),
    },
    {
        "key": "alcohol",
        "kind": "rolling_count",
        "params": {"measure": "alcohol_units", "op": "at_most", "value": 10, "window": 7},
        "weight": 3,
        "order": 80,
        "title_en": "Limited alcohol",
        "title_fr": "Alcool limité",
        "source": f"{A003} — “Effects That Also Play on Quality of Life”",
        "rationale_en": (
            "The second article advises avoiding drinking too much alcohol. We use the French public-health "
            "benchmark of at most 10 standard drinks a week, counted over the last 7 days; the points grow with the "
            "days you logged."
        ),
        "rationale_fr": (
            "Le second article conseille d’éviter l’excès d’alcool. Nous reprenons le repère de santé publique "
            "français : 10 verres standard par semaine au maximum, comptés sur les 7 derniers jours ; les points "
            "augmentent avec le nombre de jours saisis."
        ),
    },
]

SNAPSHOT_FIELDS = ["key", "kind", "params", "weight", "order", "title_en", "title_fr", "rationale_en", "rationale_fr", "source"]


def create_defaults(apps, schema_editor):
    Rule = apps.get_model("guidance", "Rule")
    RuleSetVersion = apps.get_model("guidance", "RuleSetVersion")
    if Rule.objects.exists() or RuleSetVersion.objects.exists():
        return
    for data in DEFAULT_RULES:
        Rule.objects.create(active=True, **data)
    now = timezone.now()
    RuleSetVersion.objects.create(
        number=1,
        rules=[{name: data[name] for name in SNAPSHOT_FIELDS} for data in DEFAULT_RULES],
        note="Default rule set from the two source articles",
        rescore_started_at=now,
        rescore_finished_at=now,
    )


def remove_defaults(apps, schema_editor):
    apps.get_model("guidance", "RuleSetVersion").objects.filter(number=1, scores__isnull=True).delete()
    apps.get_model("guidance", "Rule").objects.filter(key__in=[r["key"] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("guidance", "0002_rescore_progress_and_stale_days")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
