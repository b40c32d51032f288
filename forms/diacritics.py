"""Booklet text typed without diacritics, and how it is written with them (rule F19).

A candidate on a phone without a Vietnamese keyboard writes "cong nhan may, cty tnhh may
hung yen"; copied by hand into the booklet that is a fault a reviewer sends back. The rule
warns; where every word is known — a phrase of ``forms/data/words.toml`` or a place of the
gazetteer — it also offers the text with its diacritics ("công nhân may, cty TNHH may Hưng
Yên"). A word nobody knows means no suggestion at all: a half-corrected text would be a
guess presented as fact.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from functools import cache
from pathlib import Path

from forms.memo import remembered
from forms.vn import fold, has_diacritics, match_key

__all__ = ["country_spelling", "lacks_diacritics", "suggest_diacritics"]

DATA = Path(__file__).resolve().parent / "data" / "words.toml"
COUNTRIES = Path(__file__).resolve().parent / "data" / "countries.toml"
_MAX_PHRASE = 5
_TOKEN = re.compile(r"[^\W\d_]+|\d[\w]*|[\W_]+", re.UNICODE)


@cache
def _dictionary() -> tuple[dict[tuple[str, ...], str], dict[str, str]]:
    """Folded word tuples → written phrase (ambiguous spellings left out); abbreviations."""
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    phrases: dict[tuple[str, ...], str] = {}
    ambiguous: set[tuple[str, ...]] = set()
    for written in (*data["phrases"], *data["plain"]):
        key = tuple(fold(written).split())
        if key in ambiguous:
            continue
        if phrases.setdefault(key, written) != written:
            ambiguous.add(key)
            del phrases[key]
    return phrases, dict(data.get("abbreviations", {}))


@cache
def _places() -> dict[tuple[str, ...], str]:
    """The gazetteer's spellings by word tuple, built once: every text without diacritics
    is matched against them, and rebuilding the 6 478 entries took ≈ 4.5 ms a text."""
    from forms.addresses import place_spellings  # the gazetteer loads on first use

    return {tuple(k.split()): v for k, v in place_spellings().items()}


#: Folded family names common enough that a place spelling right after one is more likely a
#: person's given name: "Nguyen Van An" is «Nguyễn Văn An», not the commune «Vạn An». "Trương",
#: "Lê", "Đỗ", "Hồ" are left out: as "trường", "lễ", "do", "hồ" they often precede a real place.
_FAMILY_NAMES = frozenset({
    "nguyen", "tran", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "ngo",
    "duong", "ly", "dinh", "trinh", "luong", "doan", "quach", "trieu", "luu",
})  # fmt: skip


def _after_family_name(tokens: list[str], words: list[int], k: int) -> bool:
    """Whether the word at ``words[k]`` directly follows a family name in the same phrase."""
    return (
        k > 0
        and _one_phrase(tokens, words[k - 1 : k + 1])
        and (fold(tokens[words[k - 1]]).lower() in _FAMILY_NAMES)
    )


def _letters(word: str) -> bool:
    return any(ch.isalpha() for ch in word)


@remembered(maxsize=4096)
def lacks_diacritics(text: str) -> bool:
    """Whether ``text`` is Vietnamese written without any diacritics: none anywhere, and at
    least one word the dictionary or the gazetteer writes with them ("khong", "hung yen").
    Words that need none ("Em trai", "Y khoa") or that nobody knows ("Sao Mai") are not
    flagged: the warning must not cry wolf."""
    if not isinstance(text, str) or has_diacritics(text):
        return False
    return any(written is not None and has_diacritics(written) for _, written, _ in _matches(text))


def _case_like(typed: str, written: str, is_place: bool) -> str:
    if is_place:
        return written
    if typed[:1].isupper() and not written[:1].isupper():
        return written[:1].upper() + written[1:]
    return written


def _one_phrase(tokens: list[str], span: list[int]) -> bool:
    """Whether only spaces separate the words at ``span``."""
    return all(tokens[j].isspace() for a, b in itertools.pairwise(span) for j in range(a + 1, b))


def _matches(text: str) -> list[tuple[list[int], str | None, bool]]:
    """The words of ``text`` matched greedily, longest phrase first: (token indexes, written
    form or None when unknown, is a place). A place spelling is not taken right after a
    family name: there the words are a person's name, which no list can write."""
    phrases, _ = _dictionary()
    places = _places()
    tokens = _TOKEN.findall(text)
    words = [i for i, t in enumerate(tokens) if _letters(t) and not t[0].isdigit()]
    out: list[tuple[list[int], str | None, bool]] = []
    k = 0
    while k < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - k), 0, -1):
            span = words[k : k + size]
            if not _one_phrase(tokens, span):
                continue  # a phrase never runs over a comma or a bracket
            key = tuple(fold(tokens[i]) for i in span)
            written = phrases.get(key)
            if written is None and not _after_family_name(tokens, words, k):
                written = places.get(key)
            if written is not None:
                out.append((span, written, key in places and key not in phrases))
                k += size
                break
        else:
            out.append(([words[k]], None, False))
            k += 1
    return out


def suggest_diacritics(text: str) -> str | None:
    """``text`` with its diacritics where every word is known, else None."""
    _, abbreviations = _dictionary()
    tokens = _TOKEN.findall(text)
    out = list(tokens)
    for span, written, is_place in _matches(text):
        if written is None:
            return None
        for i, part in zip(span, written.split(), strict=True):
            typed = tokens[i]
            out[i] = _case_like(typed, abbreviations.get(fold(typed), part), is_place)
    suggestion = "".join(out)
    return suggestion if suggestion != text else None


@cache
def _countries() -> dict[str, str]:
    """The countries' names (forms/data/countries.toml, and Việt Nam) by their folded key."""
    names = tomllib.loads(COUNTRIES.read_text(encoding="utf-8"))["names"]
    return {match_key(n): n for n in (*names, "Việt Nam")}


#: what separates the countries of a list ("Hàn Quốc, Nhật Bản", "lao va thai lan")
_COUNTRY_LIST = re.compile(r"(\s*[,;]\s*|\s+(?:và|va)\s+)", re.IGNORECASE)


def country_spelling(text: str) -> str | None:
    """``text``, a country's name or a list of them, as the names are written («han quoc» →
    «Hàn Quốc»), else None (a word no country's, or already so written). Only where a country
    is asked: "lao" elsewhere may be «bệnh lao», "my" «mỹ thuật»."""
    parts = _COUNTRY_LIST.split(text.strip(" ."))
    written = []
    for i, part in enumerate(parts):
        if i % 2:  # a separator
            written.append(" và " if part.strip() in ("và", "va", "Và", "Va") else ", ")
            continue
        name = _countries().get(match_key(part))
        if name is None:
            return None
        written.append(name)
    out = "".join(written)
    return out if out != text else None
