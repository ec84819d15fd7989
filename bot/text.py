"""The one Persian text normaliser: training, the FAQ index, entities and serving all use it.

`normalize` turns messy customer text into a canonical matching form: hazm's Normalizer
(built once per process) plus what hazm leaves to us — Arabic look-alike letters, every
digit folded to ASCII, zero-width and bidi controls, diacritics, kashida, repeated
letters, punctuation and emoji dropped, Latin lower-cased, and half-spaces (ZWNJ)
removed so that `می‌خواهم`, `میخواهم` and `می خواهم` all become the same token.

`fold_digits` maps Persian and Arabic digits to ASCII one character for one character,
so entity offsets found in its output are offsets into the original text.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import re
import unicodedata

__all__ = [
    "MAX_CHARS",
    "fingerprint",
    "fold_digits",
    "normalize",
    "to_persian_digits",
]

# Longer input is cut before normalising; the chat API refuses long messages much earlier.
MAX_CHARS = 10_000

# Bumped whenever the output of `normalize` may change for some input, so that a model
# saved with the old rules refuses to load (see `fingerprint`).
_RULES_VERSION = 1

ZWNJ = "\u200c"
_MAX_PASSES = 4

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)

# Letters that look Persian but are Arabic (or Urdu/Kurdish) code points, as customers'
# keyboards produce them. `آ` is folded to `ا` because phone keyboards often drop the madda.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ې": "ی",
        "ۍ": "ی",
        "ے": "ی",
        "ۓ": "ی",
        "ك": "ک",
        "ڪ": "ک",
        "ګ": "گ",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "ھ": "ه",
        "ہ": "ه",
        "ۂ": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "آ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ۆ": "و",
        "ۇ": "و",
        "ـ": "",  # kashida (tatweel) only stretches a word
    }
)

# No word is this long; hazm's regexes are slow on a long unbroken run (seconds for 10k
# letters), so a longer run is cut to this many characters before hazm sees it.
MAX_TOKEN = 64
_LONG_TOKEN = re.compile(rf"(\S{{{MAX_TOKEN}}})\S+")
_REPEATS = re.compile(r"(\w)\1{2,}")  # three or more of one letter: سلاااام, salaaam
_SPACES = re.compile(r"\s+")


@functools.cache
def _hazm_normalizer():
    """hazm's Normalizer takes about a second to build; build it once per process."""
    from hazm import Normalizer

    return Normalizer(persian_numbers=False)


def fold_digits(text: str) -> str:
    """Persian and Arabic-Indic digits → ASCII, keeping every other character in place."""
    return text.translate(_DIGITS)


_PERSIAN_DIGITS = str.maketrans("0123456789٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹" * 2)


def to_persian_digits(text: str) -> str:
    """ASCII and Arabic-Indic digits → Persian digits, for text customers read."""
    return text.translate(_PERSIAN_DIGITS)


def _char_class(ch: str) -> str:
    """What `normalize` does with one character before hazm sees the text."""
    if ch == ZWNJ:
        return ZWNJ
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Zl", "Zp") or ch.isspace():
        return " "
    if cat in ("Cf", "Cs", "Co", "Cn", "Mn", "Me"):
        # zero-width and bidi controls, diacritics (harakat), surrogates, unassigned
        return ""
    if cat[0] in "PS":  # punctuation, symbols, emoji
        return " "
    if "\ufb50" <= ch <= "\ufeff" or "\uff00" <= ch <= "\uffef":
        # Arabic presentation forms and full-width Latin: fold to the base letters, but
        # drop the long ligatures (﷽ is 18 letters) so the output stays bounded.
        folded = unicodedata.normalize("NFKC", ch)
        return folded if len(folded) <= 3 else ""
    return ch


class _CharMap(dict):
    """`str.translate` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = _char_class(ch).translate(_DIGITS).translate(_LETTERS)
        self[code] = out
        return out


_CHAR_MAP = _CharMap()


def _pre_clean(text: str) -> str:
    return text.translate(_CHAR_MAP)


def normalize(text: str) -> str:
    """Return the canonical matching form of a customer's message.

    Never raises on a string, is idempotent, and its output is at most three times as
    long as `MAX_CHARS` (in practice never longer than the input by more than a few
    spaces).
    """
    text = _LONG_TOKEN.sub(r"\1", _pre_clean(text[:MAX_CHARS]))
    if not text.strip():
        return ""
    # hazm's spacing rules look at neighbouring words, so removing what it adds (ZWNJ,
    # its own punctuation) can give it something new to join: repeat until nothing moves.
    for _ in range(_MAX_PASSES):
        before = text
        text = _hazm_normalizer().normalize(text)
        text = _pre_clean(text).replace(ZWNJ, "")
        text = _REPEATS.sub(r"\1", text.casefold())
        text = _SPACES.sub(" ", text).strip()
        if text == before:
            break
    return text


def fingerprint() -> str:
    """A short hash of everything that decides `normalize`'s output.

    Saved with every model and index; loading refuses a model whose fingerprint differs,
    since it would see text normalised differently from how it was trained.
    """
    spec = {
        "rules": _RULES_VERSION,
        "hazm": importlib.metadata.version("hazm"),
        "unicode": unicodedata.unidata_version,
        "letters": sorted(_LETTERS.items()),
    }
    blob = json.dumps(spec, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
