"""The answer inside a chat sentence: "Dạ, tên em là Nguyễn Văn An ạ" → "Nguyễn Văn An".

People answer a chat as they would answer a person: politely ("dạ … ạ"), with a subject and
a verb ("tôi là nam", "em sinh ngày 12/3/1998", "quê em ở xã Phú Lãng…", "bố em tên là …"),
or with the question's name ("giới tính: nam", "họ tên: …"). Parsed as typed, a name became
"TÊN EM LÀ NGUYỄN VĂN AN" — and the booklet is copied by hand from what is stored — while
"Nữ ạ" or "tôi là nam" were refused. :func:`unframe` takes such a frame off once, before a
field's parser (handlers/candidate/answers.py), for every kind of answer whose value is a
name, a date, a place or a choice; a line of free text loses only its polite words and a
subject with "là" (some fields declare more: a timeline's line its subject); a paragraph or a
statement is left as typed. :func:`option_number` reads a button's number typed in words.

The words are declared in ``forms/data/framing.toml``. A frame is taken off only when it is
one: a subject must be followed by its verb or "là" ("Con Cuông" keeps "Con"), a question's
name by "là", a colon, or whose it is; a typed word without diacritics matches a frame's word
only inside a longer match ("toi la nam", but "Da Nang" keeps "Da"). Something is always left.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from forms.memo import remembered
from forms.vn import fold, has_diacritics, match_key, one_spelling, tone_key

__all__ = [
    "columns",
    "may_name_columns",
    "option_number",
    "polite_words",
    "restates_row",
    "says_row",
    "spoken_command",
    "unframe",
    "without_polite_words",
]

_DATA = Path(__file__).parent / "data" / "framing.toml"
_COUNTRIES = Path(__file__).parent / "data" / "countries.toml"
_TOKEN = re.compile(r"\S+")
_EDGE = ".,;:!?…\"'«»()-–—"

Phrase = tuple[str, ...]


# The words of a frame, a command or a column, and a reply's, are matched with a syllable's last
# "i"/"y" spelled one way ("kí tên", "ký tên"; "lí lịch", "lý lịch": vn.one_spelling).
def _folded(text: str) -> str:
    return one_spelling(fold(text))


def _plain_key(text: str) -> str:
    return one_spelling(match_key(text))


def _toned(text: str) -> str:
    return one_spelling(tone_key(text))


#: the most words a typed button number has ("dạ, em xin chọn số hai ạ")
_OPTION_WORDS = 8


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
class _Question:
    """How a question's answer may be framed: the names people give the question, the verbs
    after a subject, and whether the answer may follow its name, its subject or its verb at
    once (the parser checks what is left)."""

    labels: tuple[Phrase, ...] = ()
    verbs: tuple[Phrase, ...] = ()
    bare_label: bool = False
    bare_subject: bool = False
    bare_relative: bool = False  # a relative alone is the subject: "ông mất rồi" → "mất rồi"
    bare_verb: bool = False
    copula: bool = True  # "là" joins the frame to the answer
    #: a relative's word before a person's name is a title ("anh Trần Minh Khoa", "ông nội
    #: Trần Văn Lộc"), taken off where the name after it shows it is one (:func:`_title_end`)
    titled: bool = False


@dataclass(frozen=True, slots=True)
class _Column:
    """How one column of a table's line is read (``[columns.ID]`` in framing.toml)."""

    cues: tuple[Phrase, ...] = ()
    names: tuple[Phrase, ...] = ()
    values: tuple[Phrase, ...] = ()
    ends: tuple[Phrase, ...] = ()
    capitalised: bool = False
    number: bool = False
    #: its cues are its yes («đã mất», «qua đời»): read alone, and the next column's value may
    #: follow at once ("đã mất 2010")
    yes: bool = False
    #: words a part of the line may begin with, without a cue, its value read on to the next
    #: cue ("bệnh tim" after a comma)
    heads: tuple[Phrase, ...] = ()
    #: words a part after a comma begins with when it goes on with this column's value (an
    #: address's own commas: "ở thôn Đông, xã An Lạc")
    continues: tuple[Phrase, ...] = ()
    #: names ("n …") and values ("v …") by their first word, folded: looked for at every cue
    by_first: dict[str, tuple[Phrase, ...]] = field(default_factory=dict)

    def named_at(self, r: _Reader, i: int) -> int | None:
        """The end of one of the column's names typed at ``i``, or None."""
        return r.first(i, self.by_first.get(f"n {r.tokens[i].folded}", ()))

    def value_end(self, r: _Reader, i: int) -> int | None:
        return r.first(i, self.by_first.get(f"v {r.tokens[i].folded}", ()))


@dataclass(frozen=True, slots=True)
class _Line:
    """A table's line: the column the words no cue names go to, the item's names, and the
    words that say a row of it is meant even without its date."""

    rest: str
    labels: tuple[Phrase, ...] = ()
    says: frozenset[str] = frozenset()
    #: columns whose value read in a line says a row too (a trip's country: "đi Hàn Quốc")
    says_columns: tuple[str, ...] = ()
    #: the question's own words, folded: after a yes they restate it and name no row
    echoes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Frames:
    heads: tuple[Phrase, ...]
    times: tuple[Phrase, ...]
    tails: tuple[Phrase, ...]
    speakers: tuple[Phrase, ...]
    relatives: tuple[Phrase, ...]
    relative_words: tuple[Phrase, ...]
    pointers: tuple[Phrase, ...]
    copulas: tuple[Phrase, ...]
    option_words: tuple[Phrase, ...]
    number_words: tuple[str, ...]  # "một" is 1
    family_names: frozenset[str]  # folded
    kinds: dict[str, _Question]
    fields: dict[str, _Question]
    columns: dict[str, _Column]
    lines: dict[str, _Line]
    #: the polite words one at a time, folded (:func:`polite_words`)
    #: a person's titles before a name («đồng chí», «kỹ sư»): no part of it (_title_end)
    titles: tuple[Phrase, ...]
    #: the words around a question's echo that still name no row (``restates_row``)
    row_echo_words: frozenset[str]
    #: words of two syllables whose second is a cue's word (:func:`_in_compound`), folded
    compounds: frozenset[str]
    plain_heads: frozenset[str]
    plain_tails: frozenset[str]
    #: the same with their diacritics (tone_key): "đã" is not "dạ"
    toned_heads: frozenset[str]
    toned_tails: frozenset[str]
    #: the first words (folded) a frame may begin with, and the last words (toned) a tail may
    #: end with: a text opening and ending otherwise — most answers — is returned at once
    openers: frozenset[str]
    closers: frozenset[str]


def _phrases(words: Sequence[str]) -> tuple[Phrase, ...]:
    """Longest first, so "dạ vâng" is taken whole before "dạ"."""
    return tuple(sorted((tuple(_toned(w).split()) for w in words), key=len, reverse=True))


def _question(table: dict[str, Any], base: _Question | None = None) -> _Question:
    base = base or _Question()
    return _Question(
        labels=_phrases([" ".join(p) for p in base.labels] + table.get("labels", [])),
        verbs=_phrases([" ".join(p) for p in base.verbs] + table.get("verbs", [])),
        bare_label=table.get("bare_label", base.bare_label),
        bare_subject=table.get("bare_subject", base.bare_subject),
        bare_relative=table.get("bare_relative", base.bare_relative),
        bare_verb=table.get("bare_verb", base.bare_verb),
        copula=table.get("copula", base.copula),
        titled=table.get("titled", base.titled),
    )


def _joined(a: _Question, b: _Question) -> _Question:
    """A field's frames added to its kind's."""
    return _Question(
        labels=_phrases([" ".join(p) for p in a.labels + b.labels]),
        verbs=_phrases([" ".join(p) for p in a.verbs + b.verbs]),
        bare_label=a.bare_label or b.bare_label,
        bare_subject=a.bare_subject or b.bare_subject,
        bare_relative=a.bare_relative or b.bare_relative,
        bare_verb=a.bare_verb or b.bare_verb,
        copula=a.copula and b.copula,
        titled=a.titled or b.titled,
    )


def _column(table: dict[str, Any]) -> _Column:
    values = list(table.get("values", []))
    if table.get("countries"):
        values += tomllib.loads(_COUNTRIES.read_text(encoding="utf-8"))["names"]
    names = _phrases(table.get("names", []))
    by_first: dict[str, list[Phrase]] = {}
    for tag, phrases in (("n", names), ("v", _phrases(values))):
        for phrase in phrases:  # longest first, as sorted
            by_first.setdefault(f"{tag} {fold(phrase[0])}", []).append(phrase)
    return _Column(
        cues=_phrases(table.get("cues", [])),
        names=names,
        values=_phrases(values),
        ends=_phrases(table.get("ends", [])),
        capitalised=table.get("capitalised", False),
        number=table.get("number", False),
        yes=table.get("yes", False),
        heads=_phrases(table.get("heads", [])),
        continues=_phrases(table.get("continues", [])),
        by_first={k: tuple(v) for k, v in by_first.items()},
    )


def _plain(
    phrases: tuple[Phrase, ...], chat: list[str], key: Callable[[str], str] = fold
) -> frozenset[str]:
    """The one-word ``phrases`` and the ``chat`` spellings, folded (or by ``key``)."""
    return frozenset([key(p[0]) for p in phrases if len(p) == 1] + [key(w) for w in chat])


@cache
def _frames() -> _Frames:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    words = {key: _phrases(value) for key, value in data.items() if isinstance(value, list)}
    kinds = {kind: _question(table) for kind, table in data["kinds"].items()}
    fields = {
        field: _question(table, kinds.get(table.get("like", "")))
        for field, table in data.get("fields", {}).items()
    }
    openings = [p for key in ("heads", "times", "speakers", "relatives", "option_words", "titles")
                for p in words[key]]  # fmt: skip
    for q in (*kinds.values(), *fields.values()):
        openings += [*q.labels, *q.verbs]
    return _Frames(
        heads=words["heads"],
        times=words["times"],
        tails=words["tails"],
        speakers=words["speakers"],
        relatives=words["relatives"],
        relative_words=words["relative_words"],
        pointers=words["pointers"],
        titles=words["titles"],
        copulas=words["copulas"],
        option_words=words["option_words"],
        number_words=tuple(data["number_words"]),
        family_names=frozenset(_folded(w) for w in data["family_names"]),
        kinds=kinds,
        fields=fields,
        columns={column: _column(table) for column, table in data.get("columns", {}).items()},
        lines={
            table_id: _Line(
                table["rest"],
                _phrases(table.get("labels", [])),
                frozenset(_plain_key(p) for p in table.get("says", [])),
                tuple(table.get("says_columns", [])),
                frozenset(_plain_key(p) for p in table.get("echoes", [])),
            )
            for table_id, table in data.get("lines", {}).items()
        },
        row_echo_words=frozenset(_plain_key(p) for p in data["row_echo_words"]),
        compounds=frozenset(_folded(p) for p in data["compounds"]),
        plain_heads=_plain(words["heads"], data["plain_heads"]),
        plain_tails=_plain(words["tails"], data["plain_tails"]),
        toned_heads=_plain(words["heads"], data["plain_heads"], tone_key),
        toned_tails=_plain(words["tails"], data["plain_tails"], tone_key),
        openers=frozenset(fold(p[0]) for p in openings),
        closers=frozenset(p[-1] for p in words["tails"]),
    )


@cache
def _asked(kind: str, label: str, field: str) -> _Question:
    """The frames of one question: its kind's, its field's, and its label as a name — its
    first words too ("nghề nghiệp: kế toán" for «Nghề nghiệp hiện nay»), where a name needs
    «là» or a colon after it (a bare one, "có anh …", would eat the answer)."""
    f = _frames()
    base = f.kinds.get(kind)
    words = label.split()
    shorter = [] if base is None or base.bare_label else [
        " ".join(words[:n]) for n in range(len(words) - 1, 1, -1)
    ]  # fmt: skip
    q = _question({"labels": [label, *shorter] if label else []}, base)
    return _joined(q, f.fields[field]) if field in f.fields else q


def _may_be_framed(text: str, label: str) -> bool:
    """Whether ``text`` opens or ends with a word a frame may have (see ``_Frames.openers``)."""
    words, f = text.split(), _frames()
    if len(words) < 2:
        return False
    first = _folded(words[0].strip(_EDGE))
    named = bool(label) and _folded(label.split()[0]) == first
    return first in f.openers or named or tone_key(words[-1]) in f.closers


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        word = m.group().strip(_EDGE)
        if not word:
            if ":" in m.group() and out:  # "họ tên : …"
                out[-1] = replace(out[-1], colon=True)
            continue
        start = m.start() + m.group().index(word)
        toned, folded, plain = _word_keys(word)
        out.append(
            _Token(
                start,
                start + len(word),
                toned,
                folded,
                plain,
                word.islower(),
                m.group().rstrip().endswith(":"),
            )
        )
    return out


#: 2 048 words: people's answers are made of a few thousand common words ("em", "là",
#: "không", a month's name…) besides their own names and places, which the least recently
#: used order lets go first.
@remembered(maxsize=2048)
def _word_keys(word: str) -> tuple[str, str, bool]:
    """A word's :func:`_toned` and :func:`_folded` keys (one spelling of «kí»/«ký») and
    whether it was typed without diacritics, as :func:`_tokens` reads every word of a text
    it has not read before.

    Remembered per word (issue 17): a text is read afresh when its own cache
    (:func:`unframe`'s) misses, but its words are mostly words read before, and the three
    keys cost ≈ 2–3 µs a word (``tone_key``'s pattern and normalisations the most)."""
    return _toned(word), _folded(word), not has_diacritics(word)


class _Reader:
    """A cursor over the tokens that matches phrases (see the module docstring)."""

    def __init__(self, tokens: list[_Token], plain_text: bool, uncased: bool = False) -> None:
        self.tokens = tokens
        # typed without any diacritics, no word counts as typed exactly ("tai nha" is "tại
        # nhà", its "nha" no polite "nha")
        self.plain_text = plain_text
        # typed without any capital letter: a name's small first letter says nothing
        self.uncased = uncased
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
        """A speaker ("em"), a relative of theirs ("ông nội của em", "bố em") or the one
        asked about ("ông ấy"), with the words for "now" around it ("hiện em", "tôi hiện")."""
        i = self.any_of(i, f.times)
        j = self.first(i, f.relatives)
        if j is not None:
            while (k := self.first(j, f.relative_words)) is not None:
                j = k
            j = self.first(j, f.speakers + f.pointers)
        if j is None:
            j = self.first(i, f.speakers)
            if j is not None and self.first(j, f.relative_words) is not None:
                return None  # "con trai", "em gái": a relative named, no speaker
        return None if j is None else self.any_of(j, f.times)


def _frame_end(r: _Reader, i: int, q: _Question) -> int | None:
    """Where the frame that starts at ``i`` ends (the answer's first token), or None."""
    f = _frames()
    joiners = (f.copulas if q.copula else ()) + q.verbs
    j = r.first(i, q.labels)
    if j is not None:  # "họ tên: …", "tên em là …", "quê của tôi ở …", "dân tộc là …"
        owned = r.subject(r.any_of(j, (("của",),)), f)
        k = owned if owned is not None else j
        joined = r.first(k, joiners)
        if joined is not None:
            return joined
        return k if r.colon_before(k) or (q.bare_label and owned is None) else None
    j = r.subject(i, f)
    if j is not None:  # "tôi là nam", "em sinh ngày …", "bố em tên là …"
        joined = r.first(j, joiners)
        if joined is not None:
            return joined
        if r.colon_before(j) or q.bare_subject:
            return j
        if not q.titled:
            return None  # "em Trần Minh Khoa" reads on: "em" before a name is a title too
        if r.first(i, f.speakers) == j or _name_at(r, j, f):  # "Em Khoa", "Tôi Trần Minh
            r.loose.difference_update(range(i, j))  # Khoa": no name begins with a speaker's
            return j  # word, typed any way; "bố em Trần Văn Lộc": a relative's name after it
    j = r.first(i, f.relatives)
    if j is not None and (joined := r.first(j, joiners)) is not None:
        return joined  # "ông mất năm 1990", "bà là nông dân"
    if j is not None and q.bare_relative:  # "ông mất rồi", "bà ngoại còn ạ"
        while (word := r.first(j, f.relative_words)) is not None:
            j = word
        return j
    if j is not None and q.titled and (end := _title_end(r, i, j, f)) is not None:
        return end
    if q.titled and (j := r.first(i, f.titles)) is not None:  # "đồng chí Trần Minh Khoa"
        return _title_end(r, i, j, f)
    return r.first(i, q.verbs) if q.bare_verb else None  # "mất năm 2015"


def _name_at(r: _Reader, j: int, f: _Frames) -> bool:
    """Whether a name begins at token ``j``: a family name, or a capitalised word."""
    return j < len(r.tokens) and (r.tokens[j].folded in f.family_names or not r.tokens[j].lower)


def _title_end(r: _Reader, i: int, j: int, f: _Frames) -> int | None:
    """Where a title before a name ends ("anh", "ông nội", from ``i``; its relative word ends
    at ``j``), when the name after it shows the title is one: it begins with a family name
    ("Anh Trần Minh Khoa", "ong noi tran van loc"), or the title is in small letters and the
    name capitalised ("ông Lộc", left for the parser to ask for the whole name). "Ông Văn
    Tùng" keeps its "Ông": a family name too."""
    while (word := r.first(j, f.relative_words)) is not None:
        j = word
    if j >= len(r.tokens):
        return None
    after = r.tokens[j]
    small_title = all(t.lower for t in r.tokens[i:j])
    return j if after.folded in f.family_names or (small_title and not after.lower) else None


def _tail_start(r: _Reader, start: int, end: int) -> int | None:
    """Where a polite tail ending at ``end`` begins ("ạ", "nhé"), typed in small letters."""
    for phrase in _frames().tails:
        i = end - len(phrase)
        lower = all(t.lower for t in r.tokens[i:end])
        if i > start and lower and r.at(i, phrase) == end and r.taken(i, end):
            return i
    return None


def polite_words() -> tuple[frozenset[str], frozenset[str]]:
    """The polite words before and after a reply, one word each, folded ("da", "vang", "u";
    "a", "nhe", "luon"): for the readers that take a reply word by word without its
    diacritics, where the answer is one of a known set (a yes or no, a date, a statement)."""
    f = _frames()
    return f.plain_heads, f.plain_tails


@remembered(maxsize=1024)
def unframe(text: str, kind: str, label: str = "", field: str = "") -> str:
    """``text`` without the words that frame the answer to a question of ``kind`` (a
    :class:`forms.model.Kind` value) named ``label``, the field ``field`` (whose own frames
    ``framing.toml`` may declare); ``text`` itself when nothing frames it."""
    f = _frames()
    if (kind not in f.kinds and field not in f.fields) or not _may_be_framed(text, label):
        return text
    tokens = _tokens(text)
    if len(tokens) < 2:
        return text
    q = _asked(kind, label, field)
    r = _Reader(tokens, not has_diacritics(text))
    start, end = 0, len(tokens)
    j = r.first(start, f.heads)  # one: "dạ dạ không" is no clear answer
    if j is not None and j < end and r.taken(start, j):
        start = j
    j = _frame_end(r, start, q)
    if j is not None and j < end and r.taken(start, j):
        start = j
    while end - start > 1 and (i := _tail_start(r, start, end)) is not None:
        end = i
    if (start, end) == (0, len(tokens)):
        return text
    return text[tokens[start].start : tokens[end - 1].end].strip(" ,;:-–—")


@remembered(maxsize=1024)
def option_number(text: str) -> int | None:
    """The number of the button ``text`` picks ("1", "số 1", "chọn 2 ạ", "em chọn số hai"),
    or None: the one reading of a typed option number for every platform whose buttons are
    numbered (Zalo's options, the console) and for the candidate's screens."""
    words, f = text.split(), _frames()
    if not words or len(words) > _OPTION_WORDS:
        return None
    first = words[0].strip(_EDGE)
    if len(words) > 1 and fold(first) not in f.openers and not first.isdigit():  # "1 ạ"
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return int(tokens[0].toned) if tokens[0].toned.isdigit() else None
    r = _Reader(tokens, not has_diacritics(text))
    start, end = r.any_of(0, f.heads), len(tokens)
    while end - start > 1 and (i := _tail_start(r, start, end)) is not None:
        end = i
    spoken = r.subject(start, f)
    if spoken is not None and r.first(spoken, f.option_words) is not None:
        start = spoken  # "em chọn 2"
    worded = r.first(start, f.option_words)
    if worded is not None:
        start = worded
    if end - start != 1:
        return None
    word = tokens[start]
    if word.toned.isdigit():
        return int(word.toned)
    if worded is not None and word.toned in f.number_words:
        return f.number_words.index(word.toned) + 1
    return None


@dataclass(frozen=True, slots=True)
class _Asking:
    """The commands asked for in words (``[spoken_commands]`` in framing.toml), their words
    as typed with diacritics or without."""

    #: a phrase's words (without N) → (command, takes an item's number)
    table: dict[Phrase, tuple[str, bool]]
    requests: tuple[Phrase, ...]  # "cho em", "em muốn", longest first
    ends: tuple[Phrase, ...]  # "được không", "với"


@dataclass(frozen=True, slots=True)
class _Spoken:
    toned: _Asking  # for a text typed with diacritics: "dừng lại" is not "dùng lại"
    plain: _Asking  # for one typed without: a phrase of one word is never read so
    #: the folded words such a text may begin with: any other text is passed over at once
    openers: frozenset[str]


@cache
def _spoken() -> _Spoken:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    requests = data["spoken_requests"]

    def asking(key: Callable[[str], str]) -> _Asking:
        table: dict[Phrase, tuple[str, bool]] = {}
        for command, phrases in (*data["spoken_commands"].items(), _said_done(data)):
            for phrase in phrases:
                words = tuple(key(phrase).split())
                numbered = fold(words[-1]) == "n"
                table[words[:-1] if numbered else words] = (command, numbered)

        def listed(name: str) -> tuple[Phrase, ...]:
            phrases = (tuple(key(w).split()) for w in requests[name])
            return tuple(sorted(phrases, key=len, reverse=True))

        return _Asking(table, listed("words"), listed("ends"))

    plain = asking(_plain_key)
    heads, _ = polite_words()
    openers = frozenset([p[0] for p in (*plain.table, *plain.requests)] + list(heads))
    return _Spoken(asking(_toned), plain, openers)


def _said_done(data: dict[str, Any]) -> tuple[str, list[str]]:
    """``[spoken_done]``'s command and its phrases: each verb with «đã» before it, a word
    that says it is done after it («xong», «rồi»), or both — never the verb alone."""
    done = data["spoken_done"]
    phrases = [
        " ".join(filter(None, (head, verb, tail)))
        for verb in done["verbs"]
        for head in ("", *done["before"])
        for tail in ("", *done["after"])
        if head or tail
    ]
    return done["command"], phrases


#: the most words, and characters, a spoken command has with its request and polite words
_SPOKEN_WORDS = 10
_SPOKEN_CHARS = 80


def spoken_command(text: str, names: Container[str] | None = None) -> tuple[str, str] | None:
    """The command ``text`` asks for in words, or None: the one reader of a private text
    that asks for a command (handlers/routing.py ``RoutingTable.asked`` says whose text is
    read for which commands, and when). Read whole, after the polite words, a request ("cho
    em", "em muốn") and its end ("được không", "với"):

    - without ``names``, one of the declared phrases (``[spoken_commands]``) — ("sua", "5")
      for "cho em sửa lại mục 5 ạ", ("tiendo", "") for "xem tiến độ" — so an answer that
      only contains such words ("thợ sửa xe", "dừng xe buýt") is never one, and with its
      diacritics where it has any ("dùng", "đúng" take a suggestion; "dừng" stops; a phrase
      of one word typed without them is never read). Every private text is asked, so most
      (long, or opening with another word) are passed over before any folding;
    - with ``names``, one of these commands by its own name in one or two words, folded
      («tình hình», «Hồ sơ?» → ("tinhhinh", "")), after the polite words only: no word
      before or after it is read."""
    if len(text) > _SPOKEN_CHARS:
        return None
    if names is not None:  # «mở lại», «trả lại»: no request nor end is taken off a name
        return _staff_spoken(text, names)
    spoken = _spoken()
    opening = text.split(maxsplit=1)
    if not opening or fold(opening[0].strip(_EDGE)) not in spoken.openers:
        return None
    toned = has_diacritics(text)
    asking = spoken.toned if toned else spoken.plain
    words = (_toned(text) if toned else _plain_key(text)).split()
    if not words or len(words) > _SPOKEN_WORDS:
        return None
    words = _unasked(without_polite_words(words, toned=toned), asking)
    number = words[-1] if words and words[-1].isdigit() else ""
    core = tuple(words[:-1] if number else words)
    found = asking.table.get(core)
    if found is None:
        return _item_named(text, words, asking.table)
    if (number and not found[1]) or (not toned and len(core) < 2):
        return None  # "dung" may be "dùng", "đúng": a word alone only with its diacritics
    if found[1] and not number and len(words) < 2:
        return None  # "sửa" alone may be an answer's word; "sửa mục" asks which item
    return found[0], number


@dataclass(frozen=True, slots=True)
class _Staff:
    """``[staff_commands]``: the staff commands read with their words, and the topics."""

    with_words: frozenset[str]
    #: a topic's folded words → its command, longest first
    topics: tuple[tuple[str, str], ...]
    #: the folded words, besides a number or «#», that may open a command's words
    openers: tuple[str, ...]

    def opens(self, after: list[str]) -> bool:
        """Whether ``after`` are a command's words («12 chibo 15/03», «#3», «nhiệm kỳ …»),
        not a question about it («chỉ tiêu năm nay bao nhiêu?»: a topic's)."""
        said = match_key(" ".join(after))
        return bool(after) and (after[0][0] in "#0123456789" or said.startswith(self.openers))


@cache
def _staff() -> _Staff:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))["staff_commands"]
    topics = [(match_key(p), c) for c, phrases in data["topics"].items() for p in phrases]
    topics.sort(key=lambda t: len(t[0].split()), reverse=True)
    openers = tuple(f"{match_key(p)} " for p in data["openers"])
    return _Staff(frozenset(data["with_words"]), tuple(topics), openers)


def _staff_spoken(text: str, names: Container[str]) -> tuple[str, str] | None:
    """A staff member's private text as one of ``names`` (:func:`spoken_command`): the
    name alone in one or two words; a name of ``[staff_commands] with_words`` first, its
    words after it passed on as typed («bước 12 chibo 15/03» → ("buoc", "12 chibo 15/03"));
    or a short question naming a topic («còn bao nhiêu hồ sơ quá hạn?» → ("tinhhinh", ""))."""
    typed = text.split()
    keys = [match_key(w) for w in typed]  # one per typed word: the words after are as typed
    words = without_polite_words(keys)
    if not words:
        return None
    name = "".join(words)
    if len(words) <= 2 and name in names:
        return name, ""
    staff = _staff()
    start = next(i for i in range(len(keys)) if keys[i : i + len(words)] == words)
    for n in (2, 1):
        head, after = "".join(words[:n]), typed[start + n : start + len(words)]
        if head in staff.with_words and head in names and staff.opens(after):
            return head, " ".join(after)
    if len(typed) > _SPOKEN_WORDS:
        return None
    said = f" {' '.join(words)} "
    found = next((c for t, c in staff.topics if f" {t} " in said and c in names), None)
    return (found, "") if found is not None else None


def _unasked(words: list[str], asking: _Asking) -> list[str]:
    """``words`` without the request before them and the ends after them, one after another
    ("nộp lại giúp em với"), up to a phrase read whole ("gửi lại", "nộp lại", "dừng lại")."""
    for phrase in asking.requests:
        if tuple(words[: len(phrase)]) == phrase and len(words) > len(phrase):
            words = words[len(phrase) :]
            break
    while asking.table.get(tuple(words), ("", True))[1]:
        end = next(
            (p for p in asking.ends if len(words) > len(p) and tuple(words[-len(p) :]) == p), None
        )
        if end is None:
            break
        words = words[: -len(end)]
    return words


def _item_named(
    text: str, words: list[str], table: dict[Phrase, tuple[str, bool]]
) -> tuple[str, str] | None:
    """ "sửa mục ngày sinh": an item named in words after a numbered phrase that says
    «mục», passed on as typed (the command reads it as "/sua ngày sinh", where "Đoàn" is not
    "cam đoan")."""
    for n in range(len(words) - 1, 1, -1):
        found = table.get(tuple(words[:n]))
        if found is not None and found[1] and fold(words[n - 1]) == "muc":
            typed = text.split()
            at = next((i for i, w in enumerate(typed) if match_key(w) == "muc"), None)
            name = typed[at + 1 : at + 1 + len(words) - n] if at is not None else []
            return found[0], " ".join(name).strip(_EDGE) or " ".join(words[n:])
    return None


def without_polite_words(words: list[str], *, toned: bool = False) -> list[str]:
    """``words`` (a reply's, folded — match_key's — or ``toned``: tone_key's, from a text typed with
    diacritics, where "đã" is not "dạ") without the polite words before and after them
    ("dạ", "ạ", "nhé"): what a reply read whole says — a command asked for in words
    (:func:`spoken_command`)."""
    f = _frames()
    if toned:
        heads, tails = f.toned_heads, f.toned_tails
    else:
        heads, tails = f.plain_heads, f.plain_tails
    start, end = 0, len(words)
    while start < end and words[start] in heads:
        start += 1
    while end > start and words[end - 1] in tails:
        end -= 1
    return words[start:end]


def polite_only(text: str) -> bool:
    """Whether ``text`` is polite words and nothing else ("ạ", "dạ vâng ạ", "nhé"): what
    follows an answer typed whole ("9/2007 đến nay ạ") and answers nothing of its own."""
    words, f = tone_key(text).split(), _frames()
    phrases = f.heads + f.tails
    i = 0
    while i < len(words):
        step = next((len(p) for p in phrases if tuple(words[i : i + len(p)]) == p), 0)
        if not step:
            return False
        i += step
    return bool(words)


# --- the columns of a table's line ------------------------------------------------------------

_PARTS = re.compile(r"[^,;]+")
_FOLDED = re.compile(r"[a-z0-9]+")
Piece = tuple[str | None, int, int]  # a column (None: no cue names it) and its tokens i–j
Cued = tuple[str, int, int]  # a column, its value's first token, its end (-1: read on)


def _value_at(r: _Reader, i: int, column: _Column) -> int | None:
    """The end of one of ``column``'s whole values typed at ``i``, or None."""
    if column.number:
        word = r.tokens[i].toned
        return i + 1 if len(word) == 4 and word.isdigit() else None
    j = column.value_end(r, i)
    if j is None or (column.capitalised and r.tokens[i].lower and not _spelled_whole(r, i, j)):
        return None
    return j


def _spelled_whole(r: _Reader, i: int, j: int) -> bool:
    """Whether a capitalised column's value typed in small letters at ``i``–``j`` is one all
    the same: the whole line is in small letters and the value is two words or more ("di han
    quoc lam viec") or typed with its diacritics ("sang lào"); "sang lao dong" has no «Lào»."""
    return r.uncased and (j - i > 1 or not r.tokens[i].plain)


def _named_end(column: _Column, r: _Reader) -> int:
    """Where a value begun by one of ``column``'s names ends: at the comma, or at one of its
    ends (-1: read on)."""
    return -1 if column.ends else len(r.tokens)


def _cue_at(r: _Reader, i: int, cues: Sequence[tuple[Phrase, str, _Column]]) -> Cued | None:
    """A column's cue typed at ``i`` and the value it introduces: (column, value's start, its
    end, or -1 where it runs on to the next cue)."""
    for cue, name, column in cues:
        j = r.at(i, cue)
        if j is not None and not r.plain_text and not r.taken(i, j):
            continue  # "tai nạn" has no «tại»: a lone word typed without its diacritics
        if j is not None and column.yes:
            return name, i, j  # its words are its value: "đã mất"
        if j is None or j >= len(r.tokens):
            continue
        if (column.values or column.number) and (end := _value_at(r, j, column)) is not None:
            return name, j, end
        if column.names:
            if column.named_at(r, j) is not None:
                return name, j, _named_end(column, r)  # a school's, an authority's name
            continue
        if not (column.values or column.number):
            return name, j, -1
    return None


def _bare_at(r: _Reader, i: int, cols: dict[str, _Column]) -> Cued | None:
    """A value at the head of a part of the line, without a cue: a whole value alone
    («chính quy», «Nhật Bản»), or one of a column's names, to the comma («Đại học …»)."""
    for name, column in cols.items():
        if column.values and _value_at(r, i, column) == len(r.tokens):
            return name, i, len(r.tokens)
    head = next(
        ((name, end) for name, column in cols.items()
         if column.heads and (end := r.first(i, column.heads)) is not None),
        None,
    )  # fmt: skip
    for name, column in cols.items():
        named = column.named_at(r, i) if column.names else None
        if named is not None and (head is None or head[1] <= named):
            return name, i, _named_end(column, r)
    # a head longer than a name it begins with: «trung cấp lý luận chính trị» is a course,
    # «Trung cấp Y tế» a school
    return None if head is None else (head[0], i, -1)


def _after_yes(r: _Reader, i: int, cols: dict[str, _Column]) -> Cued | None:
    """A column's value typed right after a yes column's words, without its cue ("đã mất
    2010", "qua đời vì bệnh" is a cue's): a year, a whole value, a name, a head word."""
    for name, column in cols.items():
        if (column.number or column.values) and (end := _value_at(r, i, column)) is not None:
            return name, i, end
    for name, column in cols.items():
        if column.names and column.named_at(r, i) is not None:
            return name, i, _named_end(column, r)
        if column.heads and r.first(i, column.heads) is not None:
            return name, i, -1
    return None


@dataclass(frozen=True, slots=True)
class _Asked:
    """The columns asked of a table's line, their cues by first word, and the first words
    (folded) any of their cues, names or values begins with: a line holding none is
    returned at once (most answers typed at a column)."""

    cols: dict[str, _Column]
    cues: dict[str, tuple[tuple[Phrase, str, _Column], ...]]
    openers: frozenset[str]
    #: the cues, names and values whole, by their first word, folded and as typed with their
    #: diacritics: a text is read only when it holds one of them whole ("Nguyễn" is no
    #: «nguyên quán», "Kinh" no «kinh doanh»), typed with its diacritics where the text has any
    toned: dict[str, tuple[str, ...]]
    plain: dict[str, tuple[str, ...]]

    def named_in(self, text: str) -> bool:
        """Whether ``text`` holds one of these phrases (most answers hold none)."""
        words = _FOLDED.findall(_folded(text))
        if self.openers.isdisjoint(words):
            return False
        toned = has_diacritics(text)
        key = f" {_toned(text)} " if toned else f" {' '.join(words)} "
        phrases = self.toned if toned else self.plain
        return any(p in key for w in set(key.split()) for p in phrases.get(w, ()))


@cache
def _asked_columns(table: str, asked: tuple[str, ...]) -> _Asked | None:
    f = _frames()
    cols = {name: f.columns[name] for name in asked if name in f.columns}
    if table not in f.lines or not cols:
        return None
    cues: dict[str, list[tuple[Phrase, str, _Column]]] = {}
    toned: dict[str, set[str]] = {}
    plain: dict[str, set[str]] = {}
    for name, column in cols.items():
        for cue in column.cues:
            cues.setdefault(fold(cue[0]), []).append((cue, name, column))
        for phrase in (*column.cues, *column.names, *column.values, *column.heads):
            toned.setdefault(phrase[0], set()).add(f" {' '.join(phrase)} ")
            plain.setdefault(fold(phrase[0]), set()).add(f" {fold(' '.join(phrase))} ")
    by_length = {
        k: tuple(sorted(v, key=lambda c: len(c[0]), reverse=True)) for k, v in cues.items()
    }
    return _Asked(
        cols,
        by_length,
        frozenset(plain),
        {k: tuple(v) for k, v in toned.items()},
        {k: tuple(v) for k, v in plain.items()},
    )


def _pieces(r: _Reader, asked: _Asked) -> list[Piece]:
    """A part of the line between commas, cut at its columns' cues."""
    f, cols = _frames(), asked.cols
    n = len(r.tokens)
    start = r.any_of(r.subject(0, f) or 0, f.heads)  # "em …", "dạ em …": no column's words
    out: list[Piece] = [(None, 0, start)] if start else []
    i, opened, name = start, start, None  # the piece being read, and its column
    bare = _bare_at(r, start, cols) if start < n else None
    if bare is not None:
        if bare[2] != -1:
            return [*out, bare]
        name = bare[0]
    while i < n:
        column = cols[name] if name is not None else None
        end = r.first(i, column.ends) if column is not None and i > opened else None
        # a name begun (a school's, an authority's) runs on to its end, past any cue
        named = column is not None and bool(column.names)
        cues = asked.cues.get(r.tokens[i].folded, ())
        cue: Cued | None = None
        cut = i  # where the piece before a cue ends: after a compound («đại học»), past it
        if end is None and cues and _in_compound(r, i, f):
            cue = _value_after(r, i, cues)
            cut = i + 1
        elif end is None and cues:
            cue = _cue_at(r, i, cues)
        if named and cue is not None and (cue[2] == -1 or not cols[cue[0]].values):
            cue = None  # past any cue but one with its value ("Đại học X hệ chính quy")
        if end is None and cue is None:
            i += 1
            continue
        if cut > opened:
            out.append((name, opened, cut))
        if end is not None:
            i, opened, name = end, end, None
            continue
        assert cue is not None
        cued, value, stop = cue
        name = cued
        if stop == -1:
            i = opened = value
            if cols[cued].names:
                i += 1  # its name's first word is no end
            continue
        out.append((name, value, stop))
        i, opened, name = stop, stop, None
        after = _after_yes(r, stop, cols) if cols[cued].yes and stop < n else None
        if after is not None:  # "đã mất 2010": the year without its cue
            name = after[0]
            if after[2] != -1:
                out.append(after)
                i = opened = after[2]
                name = None
    if opened < n:
        out.append((name, opened, n))
    return out


def _value_after(r: _Reader, i: int, cues: Sequence[tuple[Phrase, str, _Column]]) -> Cued | None:
    """A value right after a compound whose last word is a one-word cue of its column
    ("đại học tại chức": «học» ends «đại học» and cues «tại chức»)."""
    for cue, name, column in cues:
        if len(cue) == 1 and column.values and i + 1 < len(r.tokens):
            end = _value_at(r, i + 1, column)
            if end is not None:
                return name, i + 1, end
    return None


def _in_compound(r: _Reader, i: int, f: _Frames) -> bool:
    """Whether token ``i`` ends one word of two syllables with the token before («đại học»,
    «tin học», «trung cấp»: ``compounds`` in framing.toml): no cue begins there — «học hệ»
    read across «đại học hệ chính quy» left «học đại» as the course."""
    return i > 0 and f"{r.tokens[i - 1].folded} {r.tokens[i].folded}" in f.compounds


def _only_frame(tokens: list[_Token]) -> bool:
    """Whether ``tokens`` are only polite words and a speaker ("em", "dạ em", "ạ")."""
    f = _frames()
    r = _Reader(tokens, False)
    i = r.any_of(r.any_of(0, f.heads), f.speakers)
    words = f.tails + f.times + f.heads + f.relatives + f.relative_words + f.pointers
    while i < len(tokens) and (j := r.first(i, words)) is not None:
        i = j
    return i == len(tokens)


def _head_label(r: _Reader, line: _Line) -> int | None:
    """The end of the item's name, or of a relative's ("Bố:", "Ông nội:"), typed before a
    colon at the line's head ("khen thưởng: …"), or None."""
    f = _frames()
    j = r.first(0, line.labels)
    if j is None and (j := r.first(0, f.relatives)) is not None:
        while (k := r.first(j, f.relative_words + f.speakers + f.pointers)) is not None:
            j = k
    return j if j is not None and r.colon_before(j) else None


def says_row(text: str, table: str) -> bool:
    """Whether ``text`` names what a row of ``table`` is about in its own words («bằng khen»,
    «bị khiển trách»: ``says`` of ``[lines.TABLE]``), so that typed without its date at the
    item's yes/no or menu it is that row, not a stray reply."""
    line = _frames().lines.get(table)
    if line is None:
        return False
    words = _plain_key(text).split()
    if any(
        " ".join(words[i : i + n]) in line.says
        for n in range(1, _LONGEST_SAYS + 1)
        for i in range(len(words) - n + 1)
    ):
        return True
    return names_says_column(text, table)


def names_says_column(text: str, table: str) -> bool:
    """Whether ``text`` names a column of ``table`` whose value says a row is meant
    (``says_columns`` of ``[lines.TABLE]``: a trip's country, "đi Hàn Quốc làm việc")."""
    line = _frames().lines.get(table)
    if line is None or not line.says_columns:
        return False
    found = columns(text, table, (line.rest, *line.says_columns))
    return found is not None and any(name in found for name in line.says_columns)


#: the most words of a phrase in ``says``
_LONGEST_SAYS = 4


def restates_row(text: str, table: str) -> bool:
    """Whether ``text`` only restates the question of ``table``'s item in its own words («đi
    nước ngoài», «bị kỷ luật»: ``echoes`` of ``[lines.TABLE]``), with nothing but
    ``row_echo_words`` around them ("có, em đã từng đi nước ngoài rồi ạ"): a yes that names
    no row yet — stored as a row, its «Nội dung» was the question's words."""
    f = _frames()
    line = f.lines.get(table)
    if line is None or not line.echoes:
        return False
    words = _plain_key(text.replace(",", " ")).split()
    echoed, i = False, 0
    while i < len(words):
        for n in range(min(_LONGEST_SAYS, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if phrase in line.echoes or phrase in f.row_echo_words:
                echoed = echoed or phrase in line.echoes
                i += n
                break
        else:
            return False
    return echoed


def may_name_columns(text: str, table: str, asked: tuple[str, ...]) -> bool:
    """Whether ``text`` holds a first word of a cue, name or value of the columns ``asked`` of
    ``table`` (a row's every column): a text holding none names no column (most answers)."""
    reading = _asked_columns(table, asked)
    return reading is not None and reading.named_in(text)


def columns(
    text: str, table: str, asked: Sequence[str], *, alone: bool = False
) -> dict[str, str] | None:
    """The columns ``asked`` (a row's unanswered ones, in order) of a line of ``table`` typed
    whole, read from their cue words (``[columns]`` in framing.toml): "học ngành Công nghệ
    thông tin tại Đại học Bách khoa Hà Nội, chính quy, bằng kỹ sư" → «Ngành học», «Tên
    trường», «Hình thức học», «Văn bằng». The words no cue names go to the table's rest
    column, as the whole line did before. None — the line stays as typed — when no other
    column is read (unless ``alone``: the line's date is asked again, its words are kept in
    the rest column), or when a column is read twice or the rest column has no room."""
    line, reading = _frames().lines.get(table), _asked_columns(table, tuple(asked))
    if line is None:
        return None
    if reading is None or not reading.named_in(text):
        return {line.rest: text.strip()} if alone and line.rest in asked else None
    plain, uncased = not has_diacritics(text), text.islower()
    found: dict[str, str] = {}
    left: list[str] = []
    going_on: str | None = None  # the column the last part ended in
    for n, part in enumerate(_PARTS.finditer(text)):
        tokens = [replace(t, start=t.start + part.start(), end=t.end + part.start())
                  for t in _tokens(part.group())]  # fmt: skip
        if n == 0:
            label = _head_label(_Reader(tokens, plain), line)  # "khen thưởng: …", "Bố: …"
            tokens = tokens[label:] if label is not None else tokens
        if not tokens:
            continue
        r = _Reader(tokens, plain, uncased)
        if going_on is not None and r.first(0, reading.cols[going_on].continues) is not None:
            found[going_on] += ", " + text[tokens[0].start : tokens[-1].end]  # "…, xã An Lạc"
            continue
        going_on = None
        for name, i, j in _pieces(r, reading):
            if i >= j:
                continue
            going_on = name if j == len(tokens) else None
            piece = text[tokens[i].start : tokens[j - 1].end].strip(" :-–—")
            if name is None:
                if not _only_frame(tokens[i:j]):
                    left.append(piece)
            elif name in found:
                return None  # two schools, two countries: not sure which
            else:
                found[name] = piece
    if not found and not (alone and left):
        return None
    if left:
        if line.rest not in asked or line.rest in found:
            return None  # the rest column read from a cue too: where would the words go?
        found[line.rest] = ", ".join(left)
    return {name: found[name] for name in asked if name in found}
