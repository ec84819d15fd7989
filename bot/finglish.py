"""Finglish: Persian typed in Latin letters ("mikham kalamo pas bedam").

Many customers type Persian on a Latin keyboard. `looks_finglish` tells such a message
from English in microseconds, and `transliterate` rewrites it in Persian script, word by
word, in the canonical form of `bot.text.normalize`, so the rest of the bot (NLU, FAQ
index, entities) sees one language.

Transliteration is rule-based, because Finglish has no standard spelling. A word is
read, in order, as
  1. a lexicon word (poshtibani → پشتیبانی),
  2. a verb: prefix + stem + personal ending (mi-kha-m → میخوام),
  3. a lexicon word with clitics (sefaresh-am-o → سفارشمو),
  4. or else spelled letter by letter: consonant digraphs first, then vowels by position,
     since Persian script writes long vowels and drops most short ones (`_spell`).
The lexicon and the verb stems (`bot.finglish_lexicon`) are small and written by hand;
they cover what the rules cannot know: silent letters (the و of خواستن), loanwords, short
words whose vowels are ambiguous, and the stems that clitics attach to. Lookups fold
spelling variants first (mamnoon = mamnun, baleh = bale). The vowel rules were checked
against a public Finglish/Persian sentence set (bench/finglish_eval.py); no word was
taken from it.
"""

from __future__ import annotations

import functools
import re

from bot.finglish_lexicon import (
    AFTER_DROPPED_E,
    AFTER_SILENT_H,
    CLITICS_AFTER_CONSONANT,
    CLITICS_AFTER_VOWEL,
    ENDINGS_AFTER_CONSONANT,
    ENDINGS_AFTER_VOWEL,
    ENGLISH_WORDS,
    PREFIXES,
    STEMS,
    WORDS,
)
from bot.text import normalize

__all__ = ["RULES_VERSION", "looks_finglish", "transliterate"]

# Bumped whenever `transliterate` or `looks_finglish` may give another answer (an edit of
# the word tables in `bot.finglish_lexicon` too): a model trained with other rules saw
# other features and refuses to load (bot.features).
RULES_VERSION = 1

# fmt: off
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1")
_FOLDS = (("ye", "ie"), ("ey", "ei"), ("aa", "a"), ("oo", "u"), ("ou", "u"), ("uu", "u"),
          ("ee", "i"), ("ii", "i"))
# fmt: on


def _fold(word: str) -> str:
    """One spelling for lexicon lookups: doubled letters once, aa→a, oo/ou→u, ee→i, eh→e."""
    word = _DOUBLED.sub(r"\1", word)
    for variant, folded in _FOLDS:
        word = word.replace(variant, folded)
    return word[:-1] if len(word) > 2 and word.endswith("eh") else word


def _folded(table: dict[str, str]) -> dict[str, str]:
    return {_fold(key): value for key, value in table.items()}


_LEXICON = _folded(WORDS)
_VERB_STEMS = _folded(STEMS)
_VERB_ENDINGS = (_folded(ENDINGS_AFTER_CONSONANT), _folded(ENDINGS_AFTER_VOWEL))
_CLITICS = (_folded(CLITICS_AFTER_CONSONANT), _folded(CLITICS_AFTER_VOWEL))

_VOWEL_LETTERS = frozenset("aeiou")
_CONSONANT_DIGRAPHS = {"kh": "خ", "sh": "ش", "ch": "چ", "gh": "ق", "zh": "ژ", "ph": "ف"}
# fmt: off
_CONSONANTS = {
    "b": "ب", "p": "پ", "t": "ت", "j": "ج", "h": "ه", "d": "د", "r": "ر", "z": "ز",
    "s": "س", "f": "ف", "q": "ق", "k": "ک", "g": "گ", "l": "ل", "m": "م", "n": "ن",
    "v": "و", "w": "و", "y": "ی", "c": "ک", "x": "کس", "khwa": "خوا", **_CONSONANT_DIGRAPHS,
}
# fmt: on
_VOWEL_DIGRAPHS = frozenset({"aa", "ee", "oo", "ou", "ei", "ii", "uu"})
# "ey" and "ow" are diphthongs (key, rowshan) unless a vowel follows (eyval is e-y-v...).
_GLIDE_DIGRAPHS = frozenset({"ey", "ow"})
_LONG_I = frozenset({"i", "ee", "ii", "ei", "ey"})
_LONG_U = frozenset({"u", "oo", "ou", "uu", "ow"})
# A vowel starting a word is carried by alef (او, ای for the long ones).
_INITIAL = {"a": "ا", "aa": "ا", "e": "ا", "o": "ا"} | dict.fromkeys(_LONG_I, "ای")
_INITIAL |= dict.fromkeys(_LONG_U, "او")
# At the end of a word every vowel is written; final e is the silent ه of خونه, چنده.
_FINAL = {"a": "ا", "aa": "ا", "e": "ه", "o": "و"} | dict.fromkeys(_LONG_I, "ی")
_FINAL |= dict.fromkeys(_LONG_U, "و")
# Inside a word short e and o are not written; long i and u are (a: see `_medial_a`).
_MEDIAL = {"aa": "ا", "e": "", "o": ""} | dict.fromkeys(_LONG_I, "ی")
_MEDIAL |= dict.fromkeys(_LONG_U, "و")
# A vowel right after another (mi-ad, so-al) is written as a full letter.
_HIATUS = {"a": "ا", "aa": "ا", "e": "ی", "o": "و"} | dict.fromkeys(_LONG_I, "ی")
_HIATUS |= dict.fromkeys(_LONG_U, "و")


def _is_vowel(unit: str) -> bool:
    return unit[0] in _VOWEL_LETTERS


def _units(word: str) -> list[str]:
    """Split a Latin word into letters and digraphs; a doubled consonant is one letter."""
    units: list[str] = []
    i, n = 0, len(word)
    while i < n:
        pair = word[i : i + 2]
        if word.startswith("khwa", i):
            unit, i = "khwa", i + 4
        elif (
            pair in _CONSONANT_DIGRAPHS
            or pair in _VOWEL_DIGRAPHS
            or (pair in _GLIDE_DIGRAPHS and word[i + 2 : i + 3] not in _VOWEL_LETTERS)
        ):
            unit, i = pair, i + 2
        else:
            unit, i = word[i], i + 1
        if units and unit == units[-1] and not _is_vowel(unit):
            continue  # gemination (tashdid) is not written: tashakkor → تشکر
        if unit == "y" and units and units[-1] in _LONG_I and word[i : i + 1] in _VOWEL_LETTERS:
            continue  # the glide of chiye, ziyad is already the ی of the i
        units.append(unit)
    return units


def _medial_a(units: list[str], k: int, first_syllable: bool, short_a: bool) -> str:
    """Long ā is written (ا), short a is not; Finglish spells both "a".

    The choices follow Persian syllable shapes, checked against real Finglish text: ā is
    rare before two consonants (dast, kardam) and in a first open syllable (farār,
    salām); the endings -am, -at, -ash, -ak and comparative -tar are short.
    """
    if short_a:
        return ""  # this writer spells long ā "aa", so a lone "a" is short
    after = units[k + 1 : k + 3]
    if len(after) == 1:
        if first_syllable:
            return "ا"
        if after[0] in ("m", "t", "k", "sh") or (after[0] == "r" and units[k - 1] == "t"):
            return ""
        return "ا"
    if not _is_vowel(after[0]) and not _is_vowel(after[1]):
        return ""
    return "" if first_syllable else "ا"


_VERB_PREFIX = re.compile(r"^(?:mi|nemi|be|na|ne)(?:kh|sh|ch|gh|zh|[bdfgjklmnprstvz])")
_PLURAL_CLITICS = {"eshan": "شان", "eman": "مان", "etan": "تان"}


def _final_an(word: str) -> tuple[str, str] | None:
    """A word ending in -an after a consonant, split as (stem, Persian ending), or None.

    Infinitives (kard-an, resid-an) and colloquial plural verbs (mi-gan) end in a short
    -an: ن; so do the plural possessives -eshan, -eman, -etan (شان, مان, تان). Other long
    words ending in -an are mostly Arabic adverbs with tanvin (lotfan, aslan, daghighan,
    movaghatan), which Persian writes with a final alef: لطفا.
    """
    if len(word) < 5 or not word.endswith("an") or word[-3] in "aeiouy":
        return None
    for clitic, clitic_fa in _PLURAL_CLITICS.items():
        if word.endswith(clitic) and len(word) > len(clitic) + 1:
            return word[: -len(clitic)], clitic_fa
    if (word[-3] in "td" and word[-4] != "a") or _VERB_PREFIX.match(word):
        return word[:-2], "ن"
    return word[:-2], "ا"


# The و of خواب, خواهش, خواست is written but not spoken: khaab, khahesh, khaastam.
_SILENT_VAV = re.compile(r"kh(?:aa(?=b|h|st)|a(?=h))")


def _spell(word: str, short_a: bool) -> str:
    """Spell one Latin word letter by letter with the positional vowel rules."""
    if len(word) > 2 and word.endswith("eh"):
        word = word[:-1]  # final -eh and -e are both the silent ه
    word = _SILENT_VAV.sub("khwa", word)
    units = _units(word)
    if len(units) >= 3 and units[-2:] == ["y", "e"] and _is_vowel(units[-3]):
        # Ezafe after a vowel: ja-ye, khune-ye. Persian writes جای and خونه.
        if units[-3] == "e":
            units = units[:-2]
        elif units[-3] not in _LONG_I:
            units = units[:-1]
    if units == ["e"]:
        return ""  # ezafe written as its own word: ketab e man
    split = _final_an(word)
    tail = ""
    if split is not None:
        stem, tail = split
        units = _units(stem)
    last = len(units) - 1
    first_vowel = next((k for k, unit in enumerate(units) if _is_vowel(unit)), last)
    out: list[str] = []
    for k, unit in enumerate(units):
        if not _is_vowel(unit):
            out.append(_CONSONANTS[unit])
        elif k == 0:
            out.append(_INITIAL[unit])
        elif k == last:
            out.append(_FINAL[unit])
        elif _is_vowel(units[k - 1]):
            out.append(_HIATUS[unit])
        elif unit == "a":
            out.append(_medial_a(units, k, k == first_vowel, short_a))
        else:
            out.append(_MEDIAL[unit])
    return "".join(out) + tail


def _verb(word: str) -> str | None:
    """A folded word read as prefix + stem + ending: mi-kha-m → میخوام, na-kard-am → نکردم."""
    for prefix, prefix_fa in PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        for cut in range(len(rest), 0, -1):
            stem = rest[:cut]
            stem_fa = _VERB_STEMS.get(stem)
            if stem_fa is None or (not prefix and len(stem) < 3):
                continue
            if prefix.endswith("i") and stem[0] == "y":
                continue  # mi-yad is mi-ad; the y is a glide
            ending = _VERB_ENDINGS[stem[-1] in _VOWEL_LETTERS].get(rest[cut:])
            if ending is not None and (ending or len(stem) > 1):
                return prefix_fa + stem_fa + ending
    return None


def _clitics(rest: str, before: str, before_fa: str, depth: int = 0) -> str | None:
    """Persian spelling of a chain of clitics after a stem (-am-o, -ha-ye), or None."""
    if not rest:
        return ""
    if depth == 3:
        return None
    after_vowel = before[-1] in _VOWEL_LETTERS
    table = _CLITICS[after_vowel]
    for cut in range(len(rest), 0, -1):
        clitic = rest[:cut]
        clitic_fa = table.get(clitic)
        if clitic_fa is None:
            continue
        if after_vowel and before_fa.endswith("ه"):
            clitic_fa = AFTER_SILENT_H.get(clitic, clitic_fa)
        tail = _clitics(rest[cut:], clitic, clitic_fa, depth + 1)
        if tail is not None:
            return clitic_fa + tail
    return None


def _inflected(word: str) -> str | None:
    """A folded lexicon word with clitics: kala-m-o → کالامو, sefaresh-am-o → سفارشمو."""
    found = _LEXICON.get(word)
    if found is not None:
        return found
    for cut in range(len(word) - 1, 1, -1):
        stem, rest = word[:cut], word[cut:]
        if cut < 3 and rest not in ("o", "ro"):
            continue  # man-o is "me"; but ba-m, na-m are other words
        stem_fa = _LEXICON.get(stem)
        if stem_fa is not None:
            tail = _clitics(rest, stem, stem_fa)
            if tail is not None:
                return stem_fa + tail
        elif rest[0] in "aeo":
            # The silent final e of shomare is not spoken before a vowel clitic (shomar-am),
            # but its ه is written, and the clitic after it takes an alef: شمارهام.
            stem_fa = _LEXICON.get(stem + "e")
            tail = _clitics(rest, stem, stem_fa) if stem_fa else None
            if stem_fa and stem_fa.endswith("ه") and tail:
                return stem_fa + AFTER_DROPPED_E.get(tail[0], "") + tail
    return None


# Longer "words" (keyboard mashing, pasted hashes) are only spelled: the lexicon and verb
# analyses try every split, which is quadratic in the word's length.
_MAX_ANALYSED = 30


@functools.lru_cache(maxsize=16_384)
def _word(word: str, short_a: bool) -> str:
    if len(word) > _MAX_ANALYSED:
        return _spell(word, short_a)
    folded = _fold(word)
    return _LEXICON.get(folded) or _verb(folded) or _inflected(folded) or _spell(word, short_a)


_LATIN_WORD = re.compile(r"[a-z]+")


def transliterate(text: str) -> str:
    """Latin-script words → Persian script; other words and digits are kept as they are.

    The result is in `normalize`'s canonical form, and the same for `text` and for
    `normalize(text)`. Never raises on a string.
    """
    words = normalize(text).split()
    latin = [bool(_LATIN_WORD.fullmatch(w)) for w in words]
    # Writers who spell long ā as "aa" (baraaye) use a lone "a" only for the short one.
    short_a = any(
        "aa" in w and _fold(w) not in _LEXICON
        for w, is_latin in zip(words, latin, strict=True)
        if is_latin
    )
    out = [_word(w, short_a) if is_latin else w for w, is_latin in zip(words, latin, strict=True)]
    return normalize(" ".join(out))


# Spelling cues for words found in neither list. English: th, wh, ck, -tion, -ing, -ly,
# a c not in ch, w, x. Finglish: kh, gh, zh, aa, the verb prefixes mi-, nemi- with a
# personal ending, and the endings -i, -eh, -esh, -am of Persian words.
_ENGLISH_CUES = re.compile(
    r"th|wh|ck|tion|sion|ing$|ly$|ould|igh|ea|qu|c(?!h)|w|x|ph|[bcdfgklmnprstvz]y$|ness$"
)
_FINGLISH_CUES = re.compile(
    r"kh|gh(?!t)|zh|aa|^(?:mi|nemi)(?:kh|sh|ch|gh|[bdfgjklmnprstvz])\w*"
    r"(?:am|i|y|e|eh|ad|im|id|in|an|and)$|[bdfgjklmnprstvz]i$|eh$|esh$|^\w{3,}[^aeiouy]am$"
)
_LETTER_WORD = re.compile(r"[^\W\d_]+")


@functools.lru_cache(maxsize=16_384)
def _finglish_score(word: str) -> int:
    """+1 if a Latin word reads as Persian, -1 if as English, 0 if it could be both."""
    english = word in ENGLISH_WORDS
    folded = _fold(word)
    persian = len(word) <= _MAX_ANALYSED and bool(
        folded in _LEXICON or _verb(folded) or _inflected(folded)
    )
    if english or persian:
        return persian - english
    return bool(_FINGLISH_CUES.search(word)) - bool(_ENGLISH_CUES.search(word))


def looks_finglish(text: str) -> bool:
    """True when a message is mostly Latin words that read as Persian rather than English.

    Meant for `normalize`d text but works on raw text. Persian-script messages, mixed
    messages where Persian script words make up a quarter or more, and messages with no
    Persian-looking word are False.
    """
    words = _LETTER_WORD.findall(text.lower())
    latin = [w for w in words if w.isascii()]
    if not latin or 4 * len(latin) < 3 * len(words):
        return False
    return sum(_finglish_score(w) for w in latin) > 0
