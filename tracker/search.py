"""Forgiving food search: typos, plurals, synonyms, word order and accents, in English and French.

How a query is matched (`FoodIndex.match`):

1. It is normalized like the names (`tracker.catalog.words`: case, accents, punctuation) and
   little words are dropped ("lait de soja" meets "lait soja"), unless it is only little words.
2. It is cut into the longest phrases of the synonym file of the interface language
   (`tracker/data/synonyms/<lang>.txt`, phrases compared after stemming). A phrase is searched
   as typed *and* as the first (canonical) term of every group it belongs to: "soy milk" also
   searches "soy drink", "chips" both "crisps" and "fries".
3. Each typed word meets the words of each name (English and French, separately) as: the same
   word, the same Snowball stem ("tomatoes" ~ "tomato", "épinard" ~ "épinards"), the start of
   a word (typing in progress: "sourd"), a word one or two edits away (optimal string alignment
   from RapidFuzz, a swap of two letters being one edit: "otas", "salomn"; two edits from seven
   letters), the start of a word within those edits ("chikp"), or the end of a compound word
   ("berries" in "blueberries"). A canonical synonym term must meet the name as the same words
   or stems. Every phrase must meet the same name.
4. Closeness is the mean quality of the phrases; ties are broken by the patient's history (in
   `tracker.selectors.search_foods`), then foods met through a canonical term (the group's
   preferred reading: "yoghurt" -> plain yogurt), then the share of the name's main words (the
   ones outside brackets) met, then shorter names. A whole word beats a word start, so "jam"
   shows Jam before jambon.

Why in Python over an index kept in the process, the same on PostgreSQL and SQLite:
the shared catalog is small (about 540 foods, 5,000 in the benchmark) and a patient's own
foods are few, so both fit in memory and one index serves every search. The database only
says whether the catalog changed and gives the patient's own foods and history, so both
backends return the same foods in the same order by construction. A database-side narrowing
could not promise that: pg_trgm's `word_similarity` at its default 0.3 misses "otas" -> oats
(the two share one trigram of five), short typos need a threshold so low that it narrows
little, and SQLite has no trigram operator, so each backend would drop different foods
before the ranking. Edit distances come from RapidFuzz (C++), stems from Snowball; nothing
here computes a distance by hand.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from tracker.catalog import words

LANGUAGES = ("en", "fr")
SYNONYMS_DIR = Path(__file__).resolve().parent / "data" / "synonyms"

# Little words a name or a query may contain or not ("pain de mie" / "pain mie"). Not "the":
# once accents are gone it is also "thé".
STOP_WORDS = frozenset(
    {"de", "du", "des", "d", "au", "aux", "a", "la", "le", "les", "l", "en", "et", "of", "and", "with", "in", "an"}
)

# How well one typed word meets one word of a name (out of 100).
EXACT = 100  # the same word
STEM = 95  # the same stem: "tomatoes" ~ "tomato", and "fries" ~ "fried", so below the same word
PREFIX = 85  # the start of the word: still typing
TYPO_1 = 70  # one edit away
PARTIAL_TYPO_1 = 65  # one edit away from the start of the word
SUFFIX = 60  # the end of a compound word: "berries" in "blueberries"
TYPO_2 = 50
PARTIAL_TYPO_2 = 45
TYPOS = frozenset({TYPO_1, PARTIAL_TYPO_1, TYPO_2, PARTIAL_TYPO_2})
TYPO_FROM = 4  # shorter words get no edit: "ham" must not find "jam"
TWO_TYPOS_FROM = 7
SUFFIX_FROM = 4
TYPO_KEY_FROM = 3  # word starts shorter than this are no typo targets
WORD_CACHE_SIZE = 4096  # typed words remembered per vocabulary

_STEMMERS = {"en": "english", "fr": "french"}


@lru_cache(maxsize=65_536)
def stem(word: str, lang: str) -> str:
    # Snowball stemmers are not thread-safe objects; one per call is cheap next to the cache.
    return str(snowballstemmer.stemmer(_STEMMERS[lang]).stemWord(word))


def terms(text: str) -> tuple[str, ...]:
    """The normalized words of a text without the little words (all of them if only little words)."""
    every = tuple(words(text).split())
    return tuple(w for w in every if w not in STOP_WORDS) or every


# ---------------------------------------------------------------- synonyms


@dataclass(frozen=True)
class Synonyms:
    """Phrase -> the canonical terms of every group it belongs to, by its words and by their stems.

    A phrase is looked up as typed first, by stems only when it is no term as typed: the
    French stemmer cuts "chipirons" (baby squid) to "chip", the stem of "chips"."""

    lang: str
    exact: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    stemmed: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    longest: int

    @classmethod
    def parse(cls, text: str, lang: str) -> Synonyms:
        exact: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        stemmed: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for line in text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            group = [t for t in (terms(term) for term in line.split(",")) if t]
            for term in group:
                for table, key in ((exact, term), (stemmed, tuple(stem(w, lang) for w in term))):
                    readings = table.setdefault(key, [])
                    if group[0] not in readings:
                        readings.append(group[0])
        return cls(
            lang=lang,
            exact={key: tuple(value) for key, value in exact.items()},
            stemmed={key: tuple(value) for key, value in stemmed.items()},
            longest=max((len(key) for key in exact), default=1),
        )

    def readings(self, phrase: tuple[str, ...]) -> tuple[tuple[str, ...], ...] | None:
        """The canonical terms a phrase stands for, None if it is no term."""
        found = self.exact.get(phrase)
        return found if found is not None else self.stemmed.get(tuple(stem(w, self.lang) for w in phrase))

    def segments(self, query: tuple[str, ...]) -> list[list[tuple[tuple[str, ...], bool]]]:
        """The query cut into its longest known phrases, each with its alternatives: the phrase
        as typed (False) and every canonical term it stands for (True)."""
        out: list[list[tuple[tuple[str, ...], bool]]] = []
        i = 0
        while i < len(query):
            for size in range(min(self.longest, len(query) - i), 0, -1):
                phrase = query[i : i + size]
                readings = self.readings(phrase)
                if readings is not None or size == 1:
                    out.append([(phrase, False), *((c, True) for c in readings or () if c != phrase)])
                    i += size
                    break
        return out


@lru_cache(maxsize=len(LANGUAGES))
def synonyms(lang: str) -> Synonyms:
    """The synonym groups of a language (English when the language has no file)."""
    lang = lang if lang in LANGUAGES else "en"
    return Synonyms.parse((SYNONYMS_DIR / f"{lang}.txt").read_text(encoding="utf-8"), lang)


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Match:
    """How well a food's name meets a query; greater `key()` is closer."""

    score: float  # mean quality of the phrases, 0-100
    canonical: int  # phrases met through a canonical synonym term
    coverage: float  # share of the name's main words met
    length: int  # words in the name
    name: str  # the normalized name in the query's language, for ties
    typo: bool  # whether a word was met only with an edit

    def key(self) -> tuple[float, int, float, int]:
        return (self.score, self.canonical, self.coverage, -self.length)


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    main: frozenset[str]  # the words outside brackets


def _name(text: str) -> _Name:
    return _Name(words=terms(text), main=frozenset(terms(text.partition("(")[0])))


class _Vocabulary:
    """The words of the names of one language, looked up by stem, start, end and edits."""

    def __init__(self, lang: str, names: list[_Name]) -> None:
        self.lang = lang
        self.postings: dict[str, list[int]] = {}
        for position, name in enumerate(names):
            for word in dict.fromkeys(name.words):
                self.postings.setdefault(word, []).append(position)
        self.by_stem: dict[str, list[str]] = {}
        self.prefixes: dict[str, list[str]] = {}
        self.suffixes: dict[str, list[str]] = {}
        typo_keys: dict[str, dict[str, bool]] = {}  # key -> {word: is the key the whole word}
        for word in self.postings:
            word_stem = stem(word, lang)
            self.by_stem.setdefault(word_stem, []).append(word)
            for end in range(1, len(word)):
                self.prefixes.setdefault(word[:end], []).append(word)
                if end >= TYPO_KEY_FROM:
                    typo_keys.setdefault(word[:end], {}).setdefault(word, False)
            for form in {word, word_stem}:
                typo_keys.setdefault(form, {})[word] = True
                for start in range(1, len(form) - SUFFIX_FROM + 1):
                    self.suffixes.setdefault(form[start:], []).append(word)
        self.typo_keys = typo_keys
        # Sorted by length, so the keys a word can be within edits of are one slice.
        self.keys = sorted(typo_keys, key=lambda key: (len(key), key))
        self.key_lengths = [len(key) for key in self.keys]
        self._cache: dict[str, dict[str, int]] = {}

    def word_matches(self, typed: str) -> dict[str, int]:
        """Name word -> how well `typed` meets it (only the words it meets)."""
        found = self._cache.get(typed)
        if found is None:
            found = self._word_matches(typed)
            if len(self._cache) > WORD_CACHE_SIZE:
                self._cache.clear()
            self._cache[typed] = found
        return found

    def _word_matches(self, typed: str) -> dict[str, int]:
        found: dict[str, int] = {}

        def meet(word: str, quality: int) -> None:
            if quality > found.get(word, 0):
                found[word] = quality

        # The stem too: "bluebery" -> "blueberi" is one edit from "blueberri" (blueberries). Each
        # form by its own length: the French stem of "bananas" is "banan", which must not reach
        # "bacon" with the two edits a seven-letter word is allowed.
        for form in dict.fromkeys((typed, stem(typed, self.lang))):
            if len(form) >= SUFFIX_FROM:
                for word in self.suffixes.get(form, ()):
                    meet(word, SUFFIX)
            if len(form) < TYPO_FROM:
                continue
            edits = 2 if len(form) >= TWO_TYPOS_FROM else 1
            start = bisect_left(self.key_lengths, len(form) - edits)
            candidates = self.keys[start : bisect_right(self.key_lengths, len(form) + edits)]
            for key, distance, _ in process.extract(
                form, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                for word, whole in self.typo_keys[key].items():
                    if whole:
                        meet(word, TYPO_1 if distance <= 1 else TYPO_2)
                    else:
                        meet(word, PARTIAL_TYPO_1 if distance <= 1 else PARTIAL_TYPO_2)
        for word in self.prefixes.get(typed, ()):
            meet(word, PREFIX)
        found.update(self.same(typed))
        return found

    def same(self, typed: str) -> dict[str, int]:
        """The name words equal to `typed` (EXACT) or sharing its stem (STEM)."""
        found = dict.fromkeys(self.by_stem.get(stem(typed, self.lang), ()), STEM)
        if typed in self.postings:
            found[typed] = EXACT
        return found


class FoodIndex:
    """Every food's names, ready to be matched against queries. Immutable once built."""

    def __init__(self, foods: Iterable[tuple[int, str, str]]) -> None:
        rows = list(foods)
        self.ids = [food_id for food_id, _, _ in rows]
        self.names = {
            "en": [_name(name_en) for _, name_en, _ in rows],
            "fr": [_name(name_fr) for _, _, name_fr in rows],
        }
        # The name shown in each language (French falls back to English), normalized for ties.
        self.shown = {
            "en": [words(name_en) for _, name_en, _ in rows],
            "fr": [words(name_fr or name_en) for _, name_en, name_fr in rows],
        }
        self.vocabularies = {lang: _Vocabulary(lang, self.names[lang]) for lang in LANGUAGES}

    def __len__(self) -> int:
        return len(self.ids)

    def match(self, query: str, lang: str) -> dict[int, Match]:
        """Food id -> how its closest name meets the query, for every food whose name meets it."""
        typed = terms(query)
        if not typed or not self.ids:
            return {}
        segments = synonyms(lang).segments(typed)
        shown = self.shown["fr" if lang == "fr" else "en"]
        best: dict[int, Match] = {}
        for name_lang in LANGUAGES:
            for position, found in self._match_names(segments, name_lang, shown).items():
                if position not in best or found.key() > best[position].key():
                    best[position] = found
        return {self.ids[position]: found for position, found in best.items()}

    def _match_names(
        self, segments: list[list[tuple[tuple[str, ...], bool]]], lang: str, shown: list[str]
    ) -> dict[int, Match]:
        """Name position -> how the names of one language that meet every phrase meet the query."""
        vocabulary = self.vocabularies[lang]
        totals: dict[int, _Met] | None = None
        for alternatives in segments:
            segment: dict[int, _Met] = {}
            for phrase, canonical in alternatives:
                for position, met in self._match_phrase(vocabulary, phrase, canonical).items():
                    if position not in segment or (met.quality, met.canonical) > (
                        segment[position].quality,
                        segment[position].canonical,
                    ):
                        segment[position] = met
            totals = segment if totals is None else {p: m + segment[p] for p, m in totals.items() if p in segment}
            if not totals:
                return {}
        names = self.names[lang]
        return {
            position: Match(
                score=round(met.quality / len(segments), 6),
                canonical=met.canonical,
                coverage=round(len(met.words & names[position].main) / max(len(names[position].main), 1), 6),
                length=len(names[position].words),
                name=shown[position],
                typo=met.typo,
            )
            for position, met in (totals or {}).items()
        }

    @staticmethod
    def _match_phrase(vocabulary: _Vocabulary, phrase: tuple[str, ...], canonical: bool) -> dict[int, _Met]:
        """Name position -> how a name meets every word of the phrase (their mean quality)."""
        found: dict[int, _Met] | None = None
        for typed in phrase:
            matches = vocabulary.same(typed) if canonical else vocabulary.word_matches(typed)
            per_name: dict[int, tuple[int, str]] = {}
            for word, quality in matches.items():
                for position in vocabulary.postings.get(word, ()):
                    if position not in per_name or quality > per_name[position][0]:
                        per_name[position] = (quality, word)
            met = {p: _Met(q, int(canonical), frozenset({w}), q in TYPOS) for p, (q, w) in per_name.items()}
            found = met if found is None else {p: m + met[p] for p, m in found.items() if p in met}
            if not found:
                return {}
        return {
            position: _Met(m.quality / len(phrase), int(canonical), m.words, m.typo)
            for position, m in (found or {}).items()
        }


@dataclass(frozen=True)
class _Met:
    """How one name meets words of the query: summed quality, canonical phrases, its words met,
    and whether a typo was needed."""

    quality: float
    canonical: int
    words: frozenset[str]
    typo: bool

    def __add__(self, other: _Met) -> _Met:
        return _Met(
            self.quality + other.quality,
            self.canonical + other.canonical,
            self.words | other.words,
            self.typo or other.typo,
        )


def without_needless_typos(found: dict[int, Match]) -> dict[int, Match]:
    """Only the foods met without a typo when there are any: "pear" finds pears, not peas; a
    query no name meets without one ("salomn") keeps its typo matches."""
    exact = {food: match for food, match in found.items() if not match.typo}
    return exact or found
