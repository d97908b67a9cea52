"""Normalising what users type, and making text safe to show on Discord (no discord import)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_QUERY = 100  # no seat, town or postcode is longer; anything past this is noise

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# characters that take no space: inside a word they vanish rather than split it
_INVISIBLE = re.compile(r"[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
                        r"\U000e0000-\U000e007f]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def clean_query(text: str) -> str:
    """NFKC, drop control and invisible characters, collapse spaces, trim."""
    text = text or ""
    if not text.isascii():  # ASCII has no invisible characters, and NFKC leaves it be
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def visible(text: str) -> str:
    """What a reader would see: invisible characters gone, spaces collapsed. Empty means
    there is nothing to show, however many characters were typed."""
    return clean_query(text)


_SHOWN_ASCII = re.compile(r"[!-~]")


def shows_anything(text: str) -> bool:
    """`bool(visible(text))`, quickly: any printable ASCII character settles it."""
    if text[:1].isalnum() or _SHOWN_ASCII.search(text) is not None:
        return True
    return not text.isascii() and bool(visible(text))


LABEL_CHARACTERS = " -_.'"


def label(name: str, limit: int) -> str | None:
    """A name owners give a loaded file ("Site A", "YouGov MRP"): 1 to `limit` visible
    letters, digits, spaces or -_.' (nothing that renders as markdown or pings); None if
    it is not one."""
    name = visible(name)
    if not name or len(name) > limit or not all(c.isalnum() or c in LABEL_CHARACTERS
                                                for c in name):
        return None
    return name


def match_key(text: str) -> str:
    """The form names are compared in: lower case, no accents or punctuation, `&` = `and`,
    `St`/`Saint` the same (Ynys Môn = ynys mon; Brecon, Radnor & Cwm Tawe = brecon radnor and
    cwm tawe)."""
    text = text.casefold().replace("&", " and ").replace("'", "")  # King's Heath = Kings Heath
    if not text.isascii():  # accents off: Ynys Môn = ynys mon
        text = unicodedata.normalize("NFKD", text).replace("'", "").replace("\u2019", "")
        text = "".join(c for c in text if not unicodedata.combining(c))
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(_WORD_FORMS.get(w, w) for w in words)


# one spelling for words people write several ways
_WORD_FORMS = {"saint": "st", "sth": "south", "nth": "north"}

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#-])")
# Plain ASCII on one line with none of these needs no work: NFKC leaves it as it is, and
# "(", ")" and "-" do nothing in Discord's markdown without a "[" or a line start (so
# "Vote Labour (Jo Bloggs-Smith)" goes through as it is).
_NEEDS_WORK = re.compile(r"[\x00-\x1f\x7f\\*_~`|>\[\]#@]")


def safe_text(text: str, limit: int) -> str:
    """User-supplied text made inert for Discord: markdown escaped, mentions defused
    (a zero-width space after @), control characters removed, cut to `limit`."""
    text = text or ""
    if text.isascii():  # NFKC and the invisible characters cannot apply
        if _NEEDS_WORK.search(text) is None and not text.startswith("-"):
            return shorten(text, limit)
        text = _CONTROL.sub("", text)
    else:
        text = _CONTROL.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))
    return shorten(_MARKDOWN.sub(r"\\\1", text).replace("@", "@\u200b"), limit)


# what can make a message of ours say something it did not mean: emphasis, spoilers,
# masked links and escapes; code spans, "#" and "-" inside a line are ours to use
_MESSAGE_MARKDOWN = re.compile(r"([\\*_~|\[\]])")
_LINE_START_MARKDOWN = re.compile(r"^(\s*)([>#-])", re.MULTILINE)


def safe_message(text: str, limit: int) -> str:
    """One of our own messages that may quote user text (a refusal naming the file or
    party it refused): made inert like `safe_text`, but our code spans (`pact-end`) and
    plain punctuation stay as written, so nothing shows escaped twice."""
    text = _CONTROL.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text or "")))
    text = _MESSAGE_MARKDOWN.sub(r"\\\1", text)
    text = _LINE_START_MARKDOWN.sub(r"\1\\\2", text)
    return shorten(text.replace("@", "@\u200b"), limit)


def count(n: int, noun: str) -> str:
    """"1 seat", "2 seats", "1,200 seats": a number with its noun, never "1 seats"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


_DIGIT = re.compile(r"\d")
_POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")


def carries_postcode(query: str) -> bool:
    """Whether a query looks like a full postcode (its answers are kept private, and a
    miss still costs a try: it asked postcodes.io)."""
    head = query[:20]
    if _DIGIT.search(head) is None:  # every postcode has digits; most names none
        return False
    return bool(_POSTCODE_SHAPE.match(re.sub(r"\s+", "", head).upper()))


def party_code(text: str, known: Iterable[str]) -> str | None:
    """A party code as the user typed it, in any case ("ld", "LD"), as we spell it; None
    when it is not one of `known`. The one place a party's code is looked up."""
    wanted = text.strip().casefold()
    return next((code for code in known if code.casefold() == wanted), None)
