"""The answer inside a chat sentence: "Dạ, tên em là Nguyễn Văn An ạ" → "Nguyễn Văn An".

People answer a chat as they would answer a person: politely ("dạ … ạ"), with a subject and
a verb ("tôi là nam", "em sinh ngày 12/3/1998", "quê em ở xã Phú Lãng…", "bố em tên là …"),
or with the question's name ("giới tính: nam", "họ tên: …"). Parsed as typed, a name became
"TÊN EM LÀ NGUYỄN VĂN AN" — and the booklet is copied by hand from what is stored — while
"Nữ ạ" or "tôi là nam" were refused. :func:`unframe` takes such a frame off once, before a
field's parser (handlers/candidate/answers.py), for every kind of answer whose value is a
name, a date or a choice; free text is left as typed.

The words are declared in ``forms/data/framing.toml``. A frame is taken off only when it is
one: a subject must be followed by its verb or "là" ("Con Cuông" keeps "Con"), a question's
name by "là", a colon, or whose it is; a typed word without diacritics matches a frame's word
only inside a longer match ("toi la nam", but "Da Nang" keeps "Da"). Something is always left.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from forms.memo import remembered
from forms.vn import fold, has_diacritics, tone_key

__all__ = ["unframe"]

_DATA = Path(__file__).parent / "data" / "framing.toml"
_TOKEN = re.compile(r"\S+")
_EDGE = ".,;:!?…\"'«»()-–—"

Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    toned: str  # tone_key of the word without its edge punctuation
    folded: str
    plain: bool  # typed without diacritics
    lower: bool  # typed in small letters
    colon: bool  # a colon typed after it ("họ tên:")


@dataclass(frozen=True, slots=True)
class _Frames:
    heads: tuple[Phrase, ...]
    times: tuple[Phrase, ...]
    tails: tuple[Phrase, ...]
    speakers: tuple[Phrase, ...]
    relatives: tuple[Phrase, ...]
    relative_words: tuple[Phrase, ...]
    copulas: tuple[Phrase, ...]
    labels: dict[str, tuple[Phrase, ...]]
    verbs: dict[str, tuple[Phrase, ...]]
    bare_label: frozenset[str]  # kinds whose answer may follow the question's name at once
    bare_subject: frozenset[str]  # … or its subject ("em có ạ")


def _phrases(words: Sequence[str]) -> tuple[Phrase, ...]:
    """Longest first, so "dạ vâng" is taken whole before "dạ"."""
    return tuple(sorted((tuple(tone_key(w).split()) for w in words), key=len, reverse=True))


@cache
def _frames() -> _Frames:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    kinds = data["kinds"]
    words = {key: _phrases(value) for key, value in data.items() if isinstance(value, list)}
    return _Frames(
        heads=words["heads"],
        times=words["times"],
        tails=words["tails"],
        speakers=words["speakers"],
        relatives=words["relatives"],
        relative_words=words["relative_words"],
        copulas=words["copulas"],
        labels={kind: _phrases(v["labels"]) for kind, v in kinds.items()},
        verbs={kind: _phrases(v["verbs"]) for kind, v in kinds.items()},
        bare_label=frozenset(kind for kind, v in kinds.items() if v.get("bare_label")),
        bare_subject=frozenset(kind for kind, v in kinds.items() if v.get("bare_subject")),
    )


def kinds_framed() -> frozenset[str]:
    """The kinds of answer a frame is taken off (the others are free text)."""
    return frozenset(_frames().labels)


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        word = m.group().strip(_EDGE)
        if not word:
            if ":" in m.group() and out:  # "họ tên : …"
                out[-1] = replace(out[-1], colon=True)
            continue
        start = m.start() + m.group().index(word)
        out.append(
            _Token(
                start,
                start + len(word),
                tone_key(word),
                fold(word),
                not has_diacritics(word),
                word.islower(),
                m.group().rstrip().endswith(":"),
            )
        )
    return out


class _Reader:
    """A cursor over the tokens that matches phrases (see the module docstring)."""

    def __init__(self, tokens: list[_Token], plain_text: bool) -> None:
        self.tokens = tokens
        # typed without any diacritics, no word counts as typed exactly ("tai nha" is "tại
        # nhà", its "nha" no polite "nha")
        self.plain_text = plain_text
        self.loose: set[int] = set()  # tokens matched only without their diacritics

    def at(self, i: int, phrase: Phrase) -> int | None:
        """The index after ``phrase`` typed at ``i``, or None."""
        if i + len(phrase) > len(self.tokens):
            return None
        loose = []
        for k, word in enumerate(phrase):
            token = self.tokens[i + k]
            if token.toned != word:
                if not (token.plain and token.folded == fold(word)):
                    return None
                loose.append(i + k)
            elif self.plain_text:
                loose.append(i + k)
        self.loose.update(loose)
        return i + len(phrase)

    def taken(self, i: int, j: int) -> bool:
        """Whether tokens ``i``–``j`` may be taken off as a frame: a lone word only as typed
        with its diacritics ("Da Nang" is a place, "dạ" is polite)."""
        return j - i > 1 or i not in self.loose

    def first(self, i: int, phrases: tuple[Phrase, ...]) -> int | None:
        for phrase in phrases:
            j = self.at(i, phrase)
            if j is not None:
                return j
        return None

    def any_of(self, i: int, phrases: tuple[Phrase, ...]) -> int:
        """``i`` after at most one of ``phrases``."""
        j = self.first(i, phrases)
        return i if j is None else j

    def colon_before(self, j: int) -> bool:
        return j > 0 and self.tokens[j - 1].colon

    def subject(self, i: int, f: _Frames) -> int | None:
        """A speaker ("em"), or a relative of theirs ("ông nội của em", "bố em"), with the
        words for "now" around it ("hiện em", "tôi hiện")."""
        i = self.any_of(i, f.times)
        j = self.first(i, f.relatives)
        if j is not None:
            while (k := self.first(j, f.relative_words)) is not None:
                j = k
            j = self.first(j, f.speakers)
        if j is None:
            j = self.first(i, f.speakers)
        return None if j is None else self.any_of(j, f.times)


def _frame_end(r: _Reader, i: int, kind: str, label: str) -> int | None:
    """Where the frame that starts at ``i`` ends (the answer's first token), or None."""
    f = _frames()
    joiners = f.copulas + f.verbs.get(kind, ())
    labels = f.labels.get(kind, ()) + ((tuple(tone_key(label).split()),) if label else ())
    j = r.first(i, _phrases([" ".join(p) for p in labels]))
    if j is not None:  # "họ tên: …", "tên em là …", "quê của tôi ở …", "dân tộc là …"
        owned = r.subject(r.any_of(j, (("của",),)), f)
        k = owned if owned is not None else j
        joined = r.first(k, joiners)
        if joined is not None:
            return joined
        if r.colon_before(k) or (kind in f.bare_label and owned is None):
            return k
        return None
    j = r.subject(i, f)
    if j is not None:  # "tôi là nam", "em sinh ngày …", "bố em tên là …"
        joined = r.first(j, joiners)
        if joined is not None:
            return joined
        if r.colon_before(j) or kind in f.bare_subject:
            return j
    return None


@remembered(maxsize=1024)
def unframe(text: str, kind: str, label: str = "") -> str:
    """``text`` without the words that frame the answer to a question of ``kind`` (a
    :class:`forms.model.Kind` value) named ``label``; ``text`` itself when nothing frames it."""
    tokens = _tokens(text)
    if len(tokens) < 2 or kind not in _frames().labels:
        return text
    r, f = _Reader(tokens, not has_diacritics(text)), _frames()
    start, end = 0, len(tokens)
    while (j := r.first(start, f.heads)) is not None and j < end and r.taken(start, j):
        start = j
    j = _frame_end(r, start, kind, label)
    if j is not None and j < end and r.taken(start, j):
        start = j
    stripped = True
    while stripped and end - start > 1:
        stripped = False
        for phrase in f.tails:
            i = end - len(phrase)
            lower = all(t.lower for t in tokens[i:end])
            if i > start and lower and r.at(i, phrase) == end and r.taken(i, end):
                end, stripped = i, True
                break
    if (start, end) == (0, len(tokens)):
        return text
    return text[tokens[start].start : tokens[end - 1].end].strip(" ,;:-–—")
