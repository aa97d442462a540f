"""The disease-modifying therapies for MS a patient picks from, in one place.

A patient's medication list (`tracker.models.Medication`) stores a therapy's `code`; its names
and ATC code come from here, so the list page, the clinician's pages, the report and every
export say the same thing. Anything else (vitamin D, a trial drug, a brand not listed) is typed.

ATC (WHO Anatomical Therapeutic Chemical classification) rather than RxNorm: the users are
mostly European and ATC is the classification European and French drug databases use. The
codes are those of the 2024 ATC index, which moved most MS antibodies and S1P modulators out
of L04AA; `atc_before_2024` keeps the old code so older records can still be matched.

No Django import (a test checks it). Both names are data, not catalogue strings: the exports
write the English and the French name side by side whatever the reader's language.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Therapy:
    code: str  # stable slug stored in Medication.therapy
    name_en: str  # "Generic (Brand, Brand)": shown in the picker and everywhere
    name_fr: str
    atc: str  # WHO ATC code of the 2024 index ("" when none exists)
    atc_before_2024: str  # the code before the 2024 restructuring of L04A ("" if unchanged)
    daily: bool  # taken every day by mouth: the form suggests the daily question
    off_label: bool = False

    def name(self, language: str) -> str:
        return self.name_fr if language.startswith("fr") else self.name_en


DMTS: tuple[Therapy, ...] = (
    Therapy(
        "interferon-beta-1a",
        "Interferon beta-1a (Avonex, Rebif)",
        "Interféron bêta-1a (Avonex, Rebif)",
        "L03AB07",
        "",
        False,
    ),
    Therapy(
        "interferon-beta-1b",
        "Interferon beta-1b (Betaferon, Betaseron, Extavia)",
        "Interféron bêta-1b (Betaferon, Extavia)",
        "L03AB08",
        "",
        False,
    ),
    Therapy(
        "peginterferon-beta-1a",
        "Peginterferon beta-1a (Plegridy)",
        "Peginterféron bêta-1a (Plegridy)",
        "L03AB13",
        "",
        False,
    ),
    Therapy(
        "glatiramer-acetate",
        "Glatiramer acetate (Copaxone, Glatopa)",
        "Acétate de glatiramère (Copaxone)",
        "L03AX13",
        "",
        False,
    ),
    Therapy("teriflunomide", "Teriflunomide (Aubagio)", "Tériflunomide (Aubagio)", "L04AK02", "L04AA31", True),
    # Dimethyl fumarate was N07XX09 until 2018; L04AX07 since.
    Therapy(
        "dimethyl-fumarate", "Dimethyl fumarate (Tecfidera)", "Fumarate de diméthyle (Tecfidera)", "L04AX07", "", True
    ),
    Therapy(
        "diroximel-fumarate", "Diroximel fumarate (Vumerity)", "Fumarate de diroximel (Vumerity)", "L04AX09", "", True
    ),
    # Approved in the US only; no ATC code has been assigned.
    Therapy(
        "monomethyl-fumarate", "Monomethyl fumarate (Bafiertam)", "Fumarate de monométhyle (Bafiertam)", "", "", True
    ),
    Therapy("fingolimod", "Fingolimod (Gilenya, Tascenso ODT)", "Fingolimod (Gilenya)", "L04AE01", "L04AA27", True),
    Therapy("siponimod", "Siponimod (Mayzent)", "Siponimod (Mayzent)", "L04AE03", "L04AA42", True),
    Therapy("ozanimod", "Ozanimod (Zeposia)", "Ozanimod (Zeposia)", "L04AE02", "L04AA38", True),
    Therapy("ponesimod", "Ponesimod (Ponvory)", "Ponésimod (Ponvory)", "L04AE04", "L04AA50", True),
    # Two short courses a year apart, not a daily tablet; oral cladribine for MS stays in L04AA.
    Therapy("cladribine", "Cladribine tablets (Mavenclad)", "Cladribine comprimés (Mavenclad)", "L04AA40", "", False),
    Therapy(
        "natalizumab", "Natalizumab (Tysabri, Tyruko)", "Natalizumab (Tysabri, Tyruko)", "L04AG03", "L04AA23", False
    ),
    Therapy("alemtuzumab", "Alemtuzumab (Lemtrada)", "Alemtuzumab (Lemtrada)", "L04AG06", "L04AA34", False),
    Therapy("ocrelizumab", "Ocrelizumab (Ocrevus)", "Ocrélizumab (Ocrevus)", "L04AG08", "L04AA36", False),
    # Low-strength ofatumumab for MS is in L04AG; the oncology strength stays in L01FA02.
    Therapy("ofatumumab", "Ofatumumab (Kesimpta)", "Ofatumumab (Kesimpta)", "L04AG12", "L04AA52", False),
    Therapy("ublituximab", "Ublituximab (Briumvi)", "Ublituximab (Briumvi)", "L04AG14", "", False),
    Therapy("mitoxantrone", "Mitoxantrone", "Mitoxantrone", "L01DB07", "", False),
    # Rituximab was L01XC02 until 2021; it is used for MS outside its marketing authorisation.
    Therapy(
        "rituximab",
        "Rituximab, off-label (MabThera, Rituxan)",
        "Rituximab, hors AMM (MabThera)",
        "L01FA01",
        "",
        False,
        off_label=True,
    ),
)

DMT_BY_CODE: dict[str, Therapy] = {therapy.code: therapy for therapy in DMTS}
