"""Rule set v2: what each rule counts and says, after a clinical review; published, every day rescored.

- Fermented foods: only the recommended families (tracker.measures.FERMENTED_FAMILIES), never a food
  the rules limit, from 30 g a serving.
- MEDAS: servings in the instrument's grams (guidance.medas).
- Alcohol: 10 g standard drinks from the drinks logged as food plus the other drinks of the day.
- A new rule on saturated fat from animal foods (5 points, taken from MEDAS: 40 -> 35).
- Sources name each article by its author or outlet, title and section; rationales paraphrase them,
  name the reference behind each number and say what each rule weighs, with placeholders filled
  from the published parameters.

The data is written out here, frozen, so later code edits never change what this migration did.
Version 1 is kept: scores still point to it until the rescore this publish starts reaches them.
"""

from django.db import migrations, models, transaction
from django.utils import timezone

IGEA = "IGEA, “What’s the Link Between Gut Health and Multiple Sclerosis?” (2 July 2025)"
CHEN = "Dr Jennifer Chen, “Gut-Brain Connection: How Microbiome Impacts Multiple Sclerosis & Potential Treatments”"
TIPS = "“Effects That Also Play on Quality of Life”"
DIET = "“Diet: Mediterranean Diet and Vitamin D”"
HELP = "“Can Improving Gut Health Help Manage MS?”"

V2_RULES = [
    {
        "key": "mediterranean",
        "kind": "medas",
        "params": {"window": 7},
        "weight": 35,
        "order": 10,
        "title_en": "Mediterranean pattern (MEDAS)",
        "title_fr": "Alimentation méditerranéenne (MEDAS)",
        "source": f"{CHEN} — {DIET}; {TIPS}. Schröder et al., J Nutr 2011;141:1140 (MEDAS, PREDIMED)",
        "rationale_en": (
            "Dr Chen explains that diet shapes the gut bacteria and how inflamed the body is, and describes the "
            "Mediterranean way of eating (plenty of fruit, vegetables, legumes, whole grains, fish and vegetable oils, "
            "little saturated fat) as anti-inflammatory and helpful in MS: it goes with less fatigue, a better quality "
            "of life and perhaps fewer relapses. Her first practical tip is a fiber-rich diet close to this model.\n\n"
            "We measure it with MEDAS, the 14-question screener of the PREDIMED trial (Schröder and colleagues, "
            "Journal of Nutrition, 2011), without the wine question: 13 items over the last {window} days. A serving "
            "is the screener's own: 200 g of vegetables (one of the two raw or as salad), 150 g of legumes, 100 g of "
            "fish, 30 g of nuts, 100 g of red meat or cold cuts, 12 g of butter or cream, a tablespoon (13.5 g) of "
            "olive oil; where it counts pieces or times we read a fruit as 150 g, a sugary drink as 200 ml, a sweet "
            "or pastry as 50 g and a dish with sofrito as 100 g. Daily items are averaged over the days you logged; "
            "weekly items are counted over the days since you joined, up to a week.\n\n"
            "It weighs {weight} of the 100 points, the most of any rule, because the whole eating pattern is what the "
            "article recommends."
        ),
        "rationale_fr": (
            "Le Dr Chen explique que l’alimentation façonne les bactéries de l’intestin et le niveau d’inflammation "
            "du corps, et présente l’alimentation méditerranéenne (beaucoup de fruits, de légumes, de légumineuses, de "
            "céréales complètes, de poisson et d’huiles végétales, peu de graisses saturées) comme anti-inflammatoire "
            "et bénéfique dans la SEP : elle va avec moins de fatigue, une meilleure qualité de vie et peut-être moins "
            "de poussées. Son premier conseil pratique est une alimentation riche en fibres, proche de ce modèle.\n\n"
            "Nous la mesurons avec le MEDAS, le questionnaire en 14 questions de l’essai PREDIMED (Schröder et "
            "collègues, Journal of Nutrition, 2011), sans la question sur le vin : 13 items sur les {window} derniers "
            "jours. Une portion est celle du questionnaire : 200 g de légumes (l’une des deux crue ou en salade), "
            "150 g de légumineuses, 100 g de poisson, 30 g de fruits à coque, 100 g de viande rouge ou de charcuterie, "
            "12 g de beurre ou de crème, une cuillère à soupe (13,5 g) d’huile d’olive ; quand il compte des pièces ou "
            "des fois, nous comptons un fruit pour 150 g, une boisson sucrée pour 200 ml, une pâtisserie pour 50 g et "
            "un plat au sofrito pour 100 g. Les items quotidiens sont moyennés sur les jours saisis ; les items "
            "hebdomadaires sont comptés sur les jours depuis votre inscription, une semaine au plus.\n\n"
            "Elle pèse {weight} points sur 100, le plus de toutes les règles, car c’est l’ensemble de ce modèle "
            "alimentaire que l’article recommande."
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
        "source": f"{CHEN} — {DIET}; {TIPS}. {IGEA} — {HELP}. EFSA, EFSA Journal 2010;8(3):1462",
        "rationale_en": (
            "Both articles put fiber first. IGEA lists a fiber-rich, plant-based diet among the ways to support a "
            "healthier microbiome. Dr Chen explains why: fiber feeds the helpful bacteria, which then make "
            "short-chain fatty acids that calm inflammation and help the cells that repair myelin.\n\n"
            "Points grow with the grams of fiber you eat, up to {target} g a day. That goal is not from the articles: "
            "it is the adequate intake for adults set by the European Food Safety Authority (EFSA, dietary reference "
            "values for carbohydrates and dietary fibre, 2010).\n\n"
            "It weighs {weight} of the 100 points, the most after the Mediterranean pattern, because both articles "
            "name it first."
        ),
        "rationale_fr": (
            "Les deux articles mettent les fibres en avant. IGEA cite une alimentation riche en fibres et à base de "
            "végétaux parmi les moyens de soutenir un microbiote plus sain. Le Dr Chen explique pourquoi : les fibres "
            "nourrissent les bonnes bactéries, qui produisent alors des acides gras à chaîne courte qui apaisent "
            "l’inflammation et aident les cellules qui réparent la myéline.\n\n"
            "Les points augmentent avec les grammes de fibres consommés, jusqu’à {target} g par jour. Cet objectif ne "
            "vient pas des articles : c’est l’apport satisfaisant pour l’adulte fixé par l’Autorité européenne de "
            "sécurité des aliments (EFSA, valeurs de référence pour les glucides et les fibres, 2010).\n\n"
            "Elle pèse {weight} points sur 100, le plus après l’alimentation méditerranéenne, car les deux articles "
            "la citent en premier."
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
        "source": f"{IGEA} — {HELP}. {CHEN} — {TIPS}. US FDA, 21 CFR 101.12 (reference amounts)",
        "rationale_en": (
            "IGEA suggests bringing fermented foods such as yogurt, kefir, kimchi or sauerkraut into your meals to "
            "support a healthier gut microbiome. The points go to those foods and their close relatives eaten as a "
            "food: plain yogurts (dairy or plant, skyr, yogurt drinks), kefir, raw sauerkraut, kimchi, "
            "lacto-fermented vegetables, miso, tempeh and natto.\n\n"
            "Dr Chen asks to eat fewer cheeses, creams and processed meats, so a fermented food the rules count as "
            "processed earns nothing here: cheeses, crème fraîche and sour cream, salami, sweetened yogurts, and "
            "sweetened fermented drinks such as water kefir and kombucha. A serving must weigh at least 30 g, the "
            "smallest reference serving of a fermented food eaten as a food in the US FDA's table (pickles): a spoon "
            "of soy sauce, hot sauce or miso paste is a seasoning, not a serving. Cooked sauerkraut has lost its live "
            "bacteria and does not count.\n\n"
            "The day earns the points with at least {value} serving(s). It weighs {weight} of the 100 points: one "
            "daily habit that one article names."
        ),
        "rationale_fr": (
            "IGEA propose d’ajouter à ses repas des aliments fermentés comme le yaourt, le kéfir, le kimchi ou la "
            "choucroute pour soutenir un microbiote intestinal plus sain. Les points vont à ces aliments et à leurs "
            "proches parents mangés comme un aliment : yaourts nature (au lait ou végétaux, skyr, yaourts à boire), "
            "kéfir, choucroute crue, kimchi, légumes lactofermentés, miso, tempeh et natto.\n\n"
            "Le Dr Chen conseille de réduire les fromages, les crèmes et la charcuterie : un aliment fermenté que les "
            "règles comptent comme transformé ne rapporte donc rien ici : fromages, crème fraîche et crème aigre, "
            "salami, yaourts sucrés, et boissons fermentées sucrées comme le kéfir de fruits et le kombucha. Une "
            "portion doit peser au moins 30 g, la plus petite portion de référence d’un aliment fermenté mangé comme "
            "un aliment dans la table de la FDA américaine (les pickles) : une cuillère de sauce soja, de sauce "
            "pimentée ou de pâte miso est un assaisonnement, pas une portion. La choucroute cuite a perdu ses "
            "bactéries vivantes et ne compte pas.\n\n"
            "La journée rapporte les points avec au moins {value} portion(s). Elle pèse {weight} points sur 100 : une "
            "habitude quotidienne que cite un des articles."
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
        "source": f"{CHEN} — {TIPS}. {IGEA} — {HELP}. Monteiro et al., Public Health Nutr 2018;21:5 (NOVA)",
        "rationale_en": (
            "Dr Chen advises eating fewer of the foods she calls pro-inflammatory: rich in animal saturated fat, "
            "highly processed, very sugary or very spicy, such as cold cuts, cheeses and creams. IGEA also suggests "
            "cutting down highly processed foods and added sugars.\n\n"
            "We count servings of ultra-processed foods (group 4 of the NOVA classification, Monteiro and colleagues), "
            "of foods with added sugar and of the foods the article names (cold cuts, cheeses, butter and cream, "
            "animal fats, sugary drinks, commercial sweets, very spicy foods), each food once. The day earns the "
            "points when it stays at or under {value} servings.\n\n"
            "It weighs {weight} of the 100 points: both articles give this advice."
        ),
        "rationale_fr": (
            "Le Dr Chen conseille de réduire les aliments qu’elle dit pro-inflammatoires : riches en graisses saturées "
            "animales, très transformés, très sucrés ou très épicés, comme la charcuterie, les fromages et les crèmes. "
            "IGEA propose lui aussi de limiter les aliments très transformés et les sucres ajoutés.\n\n"
            "Nous comptons les portions d’aliments ultra-transformés (groupe 4 de la classification NOVA, Monteiro et "
            "collègues), d’aliments avec sucre ajouté et des aliments cités par l’article (charcuterie, fromages, "
            "beurre et crème, graisses animales, boissons sucrées, pâtisseries industrielles, plats très épicés), "
            "chaque aliment une seule fois. La journée rapporte les points si elle en reste à {value} portions au "
            "plus.\n\n"
            "Elle pèse {weight} points sur 100 : les deux articles donnent ce conseil."
        ),
    },
    {
        "key": "animal-saturated-fat",
        "kind": "daily_threshold",
        "params": {"measure": "animal_sat_fat_g", "op": "at_most", "value": 22},
        "weight": 5,
        "order": 45,
        "title_en": "Saturated fat from animal foods",
        "title_fr": "Graisses saturées d’origine animale",
        "source": f"{CHEN} — {TIPS}; {DIET}. WHO, Saturated fatty acid and trans-fatty acid intake guideline, 2023",
        "rationale_en": (
            "Dr Chen names foods rich in animal saturated fat among the pro-inflammatory foods to eat less of, and "
            "describes the Mediterranean pattern as low in saturated fat.\n\n"
            "We add up the saturated fat of the animal foods you log: meat, cold cuts, butter, cream, cheese, animal "
            "fats such as duck fat, eggs and milk (the fat of fish is left out: fish is recommended). The day earns "
            "the points at {value} g or less. The limit comes from the World Health Organization's advice to keep "
            "saturated fat under 10% of energy (guideline of 2023): about 22 g on a 2,000 kcal day.\n\n"
            "It weighs {weight} of the 100 points, a small share, because the processed-foods rule already counts "
            "cheeses, creams and cold cuts."
        ),
        "rationale_fr": (
            "Le Dr Chen cite les aliments riches en graisses saturées animales parmi les aliments pro-inflammatoires "
            "à réduire, et présente l’alimentation méditerranéenne comme pauvre en graisses saturées.\n\n"
            "Nous additionnons les graisses saturées des aliments d’origine animale saisis : viande, charcuterie, "
            "beurre, crème, fromage, graisses animales comme la graisse de canard, œufs et lait (les graisses du "
            "poisson ne comptent pas : le poisson est recommandé). La journée rapporte les points à {value} g ou "
            "moins. Cette limite vient de l’Organisation mondiale de la santé, qui conseille de garder les graisses "
            "saturées sous 10 % de l’énergie (ligne directrice de 2023) : environ 22 g pour une journée à 2 000 kcal.\n\n"
            "Elle pèse {weight} points sur 100, une petite part, car la règle des aliments transformés compte déjà "
            "les fromages, les crèmes et la charcuterie."
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
        "source": f"{CHEN} — {TIPS}; “Microbiome Imbalance and Multiple Sclerosis”",
        "rationale_en": (
            "Among her practical tips Dr Chen recommends regular sleep hours. She also reports that the microbiome is "
            "tied to the body clock: people whose gut bacteria are more varied often sleep better.\n\n"
            "We look at the middle of your night (halfway between falling asleep and waking) over the last {window} "
            "nights: full points when it moves by {full_at} minutes or less, none from {zero_at} minutes, with at "
            "least {min_days} nights logged. These bounds are our own choice, not a published standard.\n\n"
            "It weighs {weight} of the 100 points: one tip of one article."
        ),
        "rationale_fr": (
            "Parmi ses conseils pratiques, le Dr Chen recommande des horaires de sommeil réguliers. Elle indique aussi "
            "que le microbiote est lié à l’horloge interne : les personnes dont les bactéries intestinales sont plus "
            "variées dorment souvent mieux.\n\n"
            "Nous regardons le milieu de votre nuit (entre l’endormissement et le réveil) sur les {window} dernières "
            "nuits : tous les points s’il varie de {full_at} minutes ou moins, aucun à partir de {zero_at} minutes, "
            "avec au moins {min_days} nuits saisies. Ces bornes sont notre choix, pas une norme publiée.\n\n"
            "Elle pèse {weight} points sur 100 : un conseil d’un des articles."
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
        "source": f"{CHEN} — {TIPS}. WHO guidelines on physical activity and sedentary behaviour, 2020",
        "rationale_en": (
            "Dr Chen's practical tips include physical activity suited to you. We add up your minutes of activity over "
            "the last {window} days; {value} minutes a week is the World Health Organization's advice for adults, "
            "people living with a disability included (guidelines of 2020), to adapt with your care team. In your "
            "first week the goal is shared out over the days since you joined. During a relapse rest comes first, so "
            "this rule does not count on relapse days.\n\n"
            "It weighs {weight} of the 100 points: one tip of one article, which your condition may limit."
        ),
        "rationale_fr": (
            "Les conseils pratiques du Dr Chen incluent une activité physique adaptée. Nous additionnons vos minutes "
            "d’activité sur les {window} derniers jours ; {value} minutes par semaine est la recommandation de "
            "l’Organisation mondiale de la santé pour les adultes, y compris en situation de handicap (lignes "
            "directrices de 2020), à adapter avec votre équipe soignante. La première semaine, l’objectif est réparti "
            "sur les jours depuis votre inscription. Pendant une poussée, le repos passe d’abord : cette règle ne "
            "compte pas les jours de poussée.\n\n"
            "Elle pèse {weight} points sur 100 : un conseil d’un des articles, que votre état peut limiter."
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
        "source": f"{CHEN} — “The Causes of Multiple Sclerosis Are Still Under Investigation”; {TIPS}",
        "rationale_en": (
            "Dr Chen names smoking among the environmental factors that play a part in MS, and her practical tips "
            "advise steering clear of tobacco. A day without tobacco earns the points.\n\n"
            "It weighs {weight} of the 100 points: one line of advice, and help to stop smoking belongs with your "
            "care team."
        ),
        "rationale_fr": (
            "Le Dr Chen cite le tabac parmi les facteurs environnementaux qui jouent un rôle dans la SEP, et ses "
            "conseils pratiques recommandent de l’éviter. Une journée sans tabac rapporte les points.\n\n"
            "Elle pèse {weight} points sur 100 : un conseil en une ligne, et l’aide pour arrêter de fumer relève de "
            "votre équipe soignante."
        ),
    },
    {
        "key": "alcohol",
        "kind": "rolling_count",
        "params": {"measure": "alcohol_drinks", "op": "at_most", "value": 10, "window": 7},
        "weight": 3,
        "order": 80,
        "title_en": "Limited alcohol",
        "title_fr": "Alcool limité",
        "source": f"{CHEN} — {TIPS}. Santé publique France and INCa, alcohol benchmarks, 2017",
        "rationale_en": (
            "Dr Chen advises avoiding drinking too much alcohol. We use the French public-health benchmark of no more "
            "than {value} standard drinks a week, a standard drink holding 10 g of pure alcohol (expert opinion of "
            "Santé publique France and the French National Cancer Institute, 2017).\n\n"
            "Wine, beer, cider and spirits you log as food count from their volume and strength (volume × % alcohol "
            "× 0.789 g/ml); the lifestyle form asks only for the other drinks, not logged as food, so no drink is "
            "counted twice. We add them up over the last {window} days; the points grow with the days you logged.\n\n"
            "It weighs {weight} of the 100 points, as tobacco does: one line of advice."
        ),
        "rationale_fr": (
            "Le Dr Chen conseille d’éviter l’excès d’alcool. Nous reprenons le repère de santé publique français : "
            "{value} verres standard par semaine au maximum, un verre standard contenant 10 g d’alcool pur (avis "
            "d’experts de Santé publique France et de l’Institut national du cancer, 2017).\n\n"
            "Le vin, la bière, le cidre et les alcools forts saisis comme aliments comptent selon leur volume et leur "
            "degré (volume × % d’alcool × 0,789 g/ml) ; le formulaire d’hygiène de vie ne demande que les autres "
            "verres, non saisis comme aliments : aucun verre n’est compté deux fois. Nous les additionnons sur les "
            "{window} derniers jours ; les points augmentent avec le nombre de jours saisis.\n\n"
            "Elle pèse {weight} points sur 100, comme le tabac : un conseil en une ligne."
        ),
    },
]

SNAPSHOT_FIELDS = ["key", "kind", "params", "weight", "order", "title_en", "title_fr", "rationale_en", "rationale_fr", "source"]


def publish_v2(apps, schema_editor):
    """Write the v2 rules and publish them as the next version; the rescore runs after commit."""
    Rule = apps.get_model("guidance", "Rule")
    RuleSetVersion = apps.get_model("guidance", "RuleSetVersion")
    User = apps.get_model("accounts", "User")
    if not RuleSetVersion.objects.exists():
        return  # a database without the default rules (0003 found rules already there): nothing to upgrade
    for data in V2_RULES:
        Rule.objects.update_or_create(key=data["key"], defaults={**data, "active": True})
    rules = [
        {name: getattr(rule, name) for name in SNAPSHOT_FIELDS}
        for rule in Rule.objects.filter(active=True).order_by("order", "key")
    ]
    number = (RuleSetVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = RuleSetVersion.objects.create(
        number=number,
        rules=rules,
        note="Rule set v2: fermented foods, MEDAS grams, alcohol in 10 g drinks, animal saturated fat, sources",
        rescore_total=User.objects.filter(role="patient").count(),
        rescore_started_at=timezone.now(),
    )

    def rescore() -> None:
        # The same machinery as a publish from the admin: batches of patients, their weeks rebuilt.
        # If the broker is down, the periodic sweep rescores the days of the older version.
        from guidance import tasks

        tasks.start_version_rescore(version.pk)

    transaction.on_commit(rescore, robust=True)


def unpublish_v2(apps, schema_editor):
    RuleSetVersion = apps.get_model("guidance", "RuleSetVersion")
    Rule = apps.get_model("guidance", "Rule")
    latest = RuleSetVersion.objects.order_by("-number").first()
    if latest is not None and latest.number > 1 and not latest.scores.exists():
        latest.delete()
    Rule.objects.filter(key="animal-saturated-fat").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0005_dayscore_drop_redundant_indexes"),
        ("tracker", "0006_food_fermented_family_alcohol_animal_fat"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rule",
            name="source",
            field=models.CharField(max_length=400, verbose_name="source article and section"),
        ),
        migrations.RunPython(publish_v2, unpublish_v2),
    ]
