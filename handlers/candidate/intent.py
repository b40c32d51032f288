"""Is this text an answer? And which button did a typed text mean?

* :func:`read` — every typed text a screen might store is read by the one classifier
  (:func:`forms.classify.classify`): an answer, a question about the question, an "I don't
  know", a refusal or chatter. Only an answer (or "không rõ" where the form allows it) is
  stored; :func:`not_stored` is what the candidate is told instead.
* :func:`typed_button` — every button can be typed instead of tapped: its number in the list
  shown, or its label (case and diacritics ignored), so the console and Zalo (no buttons)
  work the same way. A typed answer that matches an option but carries diacritics its label
  lacks is the answer, not the tap: the richer form is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from forms import parsers
from forms.classify import Expect, Reading, Verdict, classify
from forms.framing import option_number
from forms.memo import remembered
from forms.model import FieldDef, Kind
from forms.texts import message
from forms.vn import fold, match_key, strip_edges
from handlers.candidate.actions import OPTION, decode_action
from handlers.candidate.texts import short, t

#: Chatter whose own reply exists ("Chào anh/chị!", "Không có gì ạ"…). Typed symbols or
#: emoji ("noise") are told, as "ok" is, that they are no answer; "only text is read" is for
#: stickers and photos (the flow's "other" events).
_SOCIAL = frozenset({"greeting", "thanks", "control", "mistake"})
#: Kinds whose "I don't know" is found in the same papers (for the hint of what to do).
_FIND = {
    Kind.NAME: "name",
    Kind.OTHER_NAMES: "name",
    Kind.DATE: "date",
    Kind.MONTH: "date",
    Kind.YEAR: "date",
    Kind.PERIOD: "date",
    Kind.ADDRESS_ORIGIN: "address",
    Kind.ADDRESS_RESIDENCE: "address",
}


#: Kinds whose stored text is read again before "Giữ nguyên" is offered (the others are
#: canonical values written by the parsers).
_READ_KINDS = frozenset(
    {Kind.TEXT, Kind.LONG_TEXT, Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE, Kind.NAME}
)


def read(text: str, expect: FieldDef | Kind | None) -> Reading:
    """What ``text`` is, as a reply to a question of ``expect``."""
    return classify(text, expect if isinstance(expect, FieldDef) else Expect(expect))


def social(reading: Reading) -> str | None:
    """The key of the short reply to chatter that is not about the question (a greeting,
    thanks, emoji, a button word), or "question"; None for anything else."""
    if reading.verdict is Verdict.QUESTION:
        return "question"
    if reading.verdict is Verdict.CHATTER and reading.reason in _SOCIAL:
        return reading.reason
    return None


def not_stored(reading: Reading, text: str, fdef: FieldDef, explanation: str) -> str:
    """Why ``text`` was not stored as the answer to ``fdef``, and what to write instead: a
    question gets ``explanation`` (the field's help); "không biết" where "không rõ" is not
    allowed, how to find the fact out; a bare yes/no to a statement, the statement to write;
    a refusal, that the item must be declared; "ok", "k", a bare "có", that it says
    nothing."""
    typed = short(text, 60)
    optional = not fdef.required
    if reading.verdict is Verdict.I_DONT_KNOW:
        text_ = t("not_answer.dont_know", typed=typed, optional=optional)
        find = t(f"not_answer.find.{_FIND.get(fdef.kind, 'other')}")
        return "\n".join(filter(None, [text_, find, explanation if reading.asks else ""]))
    if reading.reason == "bare_statement":  # parse_statement's words, with the example
        examples = list(fdef.statement_examples())
        vague = typed if reading.yes_no is None else ""  # «rõ ràng», not a bare «không»
        bare = message("parse.statement.bare", examples=examples, typed=vague)
        return t("parse_failed", error=bare)
    example = fdef.example.rstrip(".")
    if reading.reason == "today":  # "hôm nay" at a place, a name, a birth date
        timed = fdef.kind in (Kind.DATE, Kind.MONTH, Kind.YEAR, Kind.PERIOD)
        return t("not_answer.today", typed=typed, example=example, date=timed)
    if reading.reason == "same":  # "nhu tren", "giong bo" where nothing is copied
        return t("not_answer.same", typed=typed, example=example)
    if reading.reason == "digits":  # "9": a button's number mistyped, "1985" a year
        return t("parse_failed", error=t("errors.no_letters"))
    if reading.verdict is Verdict.REFUSAL:
        return t("not_answer.refusal", typed=typed, optional=optional)
    if reading.reason == "help":  # "?", "help", "hướng dẫn": this question's help, and /trogiup
        return "\n".join([t("not_answer.help", typed=typed), explanation])
    key = social(reading)
    if key == "question":
        return "\n".join([t("not_answer.question_explained", typed=typed), explanation])
    if key is not None:
        return t(f"not_answer.{key}")
    return t("not_answer.ack", typed=typed, optional=optional, example=example)


def not_a_button(reading: Reading, text: str, explanation: str) -> str | None:
    """What a typed text at a screen of buttons (a menu, a yes/no gate, a confirmation) is
    told when it is no button: a question gets ``explanation`` (the help of the item asked;
    "": none, outside the form's items), chatter its short reply; None for anything else."""
    key = social(reading)
    if key == "question":
        if not explanation:
            return None
        said = "help" if reading.reason == "help" else "question_explained"
        return "\n".join([t(f"not_answer.{said}", typed=short(text, 60)), explanation])
    if key == "control" and not explanation:
        return None  # its words point at «❓ Giải thích», which such a screen lacks
    return t(f"not_answer.{key}") if key else None


def another_answer(text: str, fdef: FieldDef, stored: str, offered: str | None) -> bool:
    """Whether ``text`` is a real answer unlike both ``stored`` (the answer a better writing
    is offered for) and ``offered``: not the same answer typed again."""
    if not read(text, fdef).is_answer:
        return False
    key = match_key(text)
    for known in (stored, offered or ""):
        other = match_key(known)
        if other and (key == other or SequenceMatcher(None, key, other).ratio() >= _SAME):
            return False
    return True


#: How alike two typings of one answer are at least ("xa long hung" / "xã Long Hưng, …").
_SAME = 0.6


def typed_button(text: str, buttons: Sequence[Sequence[str]]) -> str | None:
    """The action of the button whose number or label ``text`` is, else None."""
    n = option_number(text)  # "2", "số 2", "chọn 2 ạ"
    if n is not None:
        if 1 <= n <= len(buttons):
            return buttons[n - 1][1]
        return None
    key = match_key(strip_edges(text))
    if not key:
        return None
    for label, action in buttons:
        if _label_key(label) == key:
            if _marks(text) > _marks(label) and decode_action(action)[0] is OPTION:
                return None  # "Nguyễn Văn Tuấn" for "NGUYEN VAN TUAN": the richer text
            return action
    return None


@remembered(maxsize=4096)
def _label_key(label: str) -> str:
    """A button label's :func:`match_key`: the same few labels ("Quay lại", "Bỏ qua", a
    name offered) are compared with every typed answer."""
    return match_key(strip_edges(label))


def _marks(text: str) -> int:
    """How many letters carry a diacritic (what an unaccented button label lacks)."""
    return sum(1 for ch in text if ch.isalpha() and fold(ch) != ch.lower())


def keepable(fdef: FieldDef, values: Mapping[str, Any]) -> bool:
    """Whether the stored answer may be kept as it is: not a non-answer stored before
    (an old "ko biet" is asked again, never offered "Giữ nguyên")."""
    value = str(values.get(fdef.id, "") or "")
    if fdef.kind not in _READ_KINDS or not value or parsers.is_unknown(value):
        return True
    return read(value, fdef).is_answer
