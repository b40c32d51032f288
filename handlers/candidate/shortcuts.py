"""Shortcuts people expect when an answer repeats one already given: "như trên" / "nt" (the
address just above: the birthplace for the hometown, the relative's birthplace; any text:
the same fact of the previous row or relative), "giống mục (6)" (an item's address), a place
named ("như quê quán", "giống nơi sinh": a relative's own fact first, else the item) and, for
a relative, another relative's ("cùng địa chỉ với bố"). The booklet never says "như trên":
the copy is written out, as the question it lands at reads an address (:func:`written_at`: a
residence has no old names' bracket). The copy is shown with where it comes from and stored
only once confirmed (:class:`.questions.Question` offers it like a suggestion); "hôm nay"
and one-month periods are read by :mod:`.answers`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from forms.addresses import current_names
from forms.dossier import Row
from forms.framing import unframe
from forms.model import FieldDef, ItemDef, Kind, RelativesDef
from forms.vn import match_key, one_spelling
from handlers.candidate.core import Screen, Turn
from handlers.candidate.structure import RELATION_WORDS, Structure
from handlers.candidate.texts import short, t

ADDRESSES = frozenset({Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE})
_COPYABLE = ADDRESSES | {Kind.TEXT, Kind.LONG_TEXT}
_ABOVE = frozenset(
    match_key(w)
    for w in (
        "như trên", "giống trên", "như ở trên", "giống ở trên", "giống như trên", "y như trên",
        "như mục trên", "giống mục trên", "như câu trên", "giống câu trên", "như trên ạ",
        "giống trên ạ", "như bên trên", "giống bên trên", "nt", "n/t", "như trên.", "như trên ạ",
    )
)  # fmt: skip
_ITEM = re.compile(
    r"^(?:y )?(?:giong|nhu|giong nhu|nhu o|giong o|cung) (?:muc|cau) (\d{1,2})(?: a)?$"
)
#: "the same as" before a place named in words: "như nơi đăng ký khai sinh", "cùng nơi sinh",
#: "giống quê quán", "trùng với nơi thường trú", "cùng địa chỉ với bố", "ở nhà bố mẹ" (a
#: relative's home: theirs) (folded, longest first)
_SAME = ("y nhu", "giong nhu", "giong voi", "trung voi", "nhu o", "giong o", "cung voi",
         "nhu", "giong", "cung", "trung", "voi", "nha")  # fmt: skip
#: What may stand before "the same" ("ở cùng bố", "sống cùng với mẹ") and between it and
#: the name ("cùng địa chỉ với bố", "như nơi ở của mẹ"): no name begins with them.
_POLITE = ("a", "nhe", "nha", "ak", "ah")
_BEFORE_SAME = ("dang o", "dang song", "hien o", "o", "song")
_BEFORE_NAME = ("dia chi voi", "dia chi cua", "dia chi", "cho o cua", "cho o voi", "noi o cua",
                "noi o voi", "que voi", "que cua", "cua", "voi", "o")  # fmt: skip
#: the first word of a text that may say "the same as" ("như", "cùng", "ở" …)
_OPENERS = frozenset(w.split()[0] for w in (*_SAME, *_BEFORE_SAME))


#: A relative's address said to be the candidate's own: "ở cùng tôi", "cùng địa chỉ với con",
#: "sống chung với gia đình em", "cùng quê với cháu" (folded words): a word saying "the same",
#: one naming the candidate, and only words about where (FieldDef.same_as_mine).
_SAME_WORDS = frozenset({"cung", "chung", "voi", "nhu", "giong", "trung"})
_ME_WORDS = frozenset({"toi", "con", "em", "chau", "minh"})
_WHERE_WORDS = frozenset({
    "o", "song", "hien", "nay", "dang", "van", "dia", "chi", "nha", "mot", "ho", "khau", "noi",
    "cho", "gia", "dinh", "que", "quan", "a", "tai",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Copy:
    """An earlier answer to copy: where it comes from ("mục (5) Nơi đăng ký khai sinh")."""

    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Shortcut:
    """ "như trên" (nothing set), "giống mục (N)" / "như quê quán" (``item``), a fact of the
    same row named ("như nơi sinh" at a relative's hometown: ``field``) or another relative's
    same fact ("cùng địa chỉ với bố", "như bố mẹ": ``relation``, the first who has it)."""

    item: int | None = None
    field: str | None = None
    relation: tuple[str, ...] = ()


def is_address(fdef: FieldDef) -> bool:
    """An address question: (5)–(7), a relative's birthplace and hometown, and a relative's
    residence (free text, for a home abroad, but the candidate's (7) is its copy)."""
    return fdef.kind in ADDRESSES or fdef.same_as_mine is not None


def read_shortcut(
    text: str,
    fdef: FieldDef,
    structure: Structure | None = None,
    row: Sequence[FieldDef] = (),
    *,
    relatives: RelativesDef | None = None,
) -> Shortcut | None:
    """The shortcut ``text`` is, at a question of ``fdef`` (addresses and free text), or
    None. ``structure`` reads an item's name: at an address, "như nơi đăng ký khai sinh"
    is "giống mục (5)", "như quê" (one word: a whole name) "giống mục (6)"; ``row`` are the
    fields of the row asked (a relative's «Nơi sinh» is named before the candidate's (5)),
    and at a relative's a relation of ``relatives`` names another relative ("như bố")."""
    if fdef.kind not in _COPYABLE:
        return None
    key = one_spelling(match_key(unframe(text, Kind.TEXT)))  # "dạ, như trên ạ"; "đăng kí"
    if key in _ABOVE:
        return Shortcut()
    found = _ITEM.match(key)
    if found:
        return Shortcut(int(found[1]))
    if fdef.same_as_mine is not None and _names_me(key):
        return Shortcut(fdef.same_as_mine)
    if not is_address(fdef) or structure is None:
        return None
    named = _named_after_same(key)
    if named is None:
        return None
    for f in row:
        if f.id != fdef.id and is_address(f) and one_spelling(match_key(f.label)) == named:
            return Shortcut(field=f.id)
    relation = _relations_named(relatives, named) if relatives is not None else ()
    if relation:
        return Shortcut(relation=relation)
    # one word only as an item's whole name ("như quê"): "như cũ" names nothing
    item = structure.item_named(named) if " " in named else structure.item_at_start(named)
    if item is not None and any(f.kind in ADDRESSES for f in item.fields):
        return Shortcut(item.number)
    return None


def _named_after_same(key: str) -> str | None:
    """What "the same as" names in ``key`` ("cùng địa chỉ với bố ạ" → "bo"), or None."""
    if key.partition(" ")[0] not in _OPENERS:  # most answers: one look-up
        return None
    for tail in _POLITE:
        if key.endswith(" " + tail):
            key = key[: -len(tail) - 1]
            break
    for lead in _BEFORE_SAME:
        if key.startswith(lead + " "):
            key = key[len(lead) + 1 :]
            break
    for same in _SAME:
        if key.startswith(same + " "):
            named = key[len(same) + 1 :]
            for filler in _BEFORE_NAME:
                if named.startswith(filler + " "):
                    return named[len(filler) + 1 :]
            return named
    return None


class _Asking(Protocol):
    """The question a shortcut is typed at (:class:`.questions.Question`)."""

    def item_def(self, turn: Turn) -> ItemDef: ...
    def block(self, turn: Turn) -> Sequence[FieldDef]: ...
    def values(self, turn: Turn) -> Row: ...
    def copy_above(self, turn: Turn, fdef: FieldDef) -> Copy | None: ...
    def settled(self, **changes: Any) -> Screen: ...


def offer_copy(turn: Turn, screen: _Asking, fdef: FieldDef, text: str) -> bool:
    """Whether ``text`` is a shortcut (:func:`read_shortcut`): then the answer it names is
    shown with where it comes from, as :func:`written_at` writes it, and stored only once
    confirmed; or the question again, said why, when it names nothing answered."""
    item = screen.item_def(turn)
    # a relative's «Nơi sinh» named where this relative has none is no candidate's (5)
    named = item.relatives.fields if item.relatives is not None else screen.block(turn)
    family, fact = item, fdef.id
    if item.relatives is None:  # "ở nhà bố mẹ" at the candidate's own (7): the parents'
        family, fact = turn.structure.copied_by_relatives.get(item.number, (item, ""))
    shortcut = read_shortcut(text, fdef, turn.structure, named, relatives=family.relatives)
    if shortcut is None:
        return False
    copy: Copy | None
    if shortcut.item is not None:
        copy = item_address(turn, shortcut.item)
    elif shortcut.field is not None:
        copy = row_fact(named, screen.values(turn), shortcut.field, "")
    elif shortcut.relation:
        copy = next(
            (c for code in shortcut.relation
             if (c := relative_fact(turn.structure, family, turn.d.relatives, code, fact))),
            None,
        )  # fmt: skip
    else:
        copy = screen.copy_above(turn, fdef)
    if copy is None:
        said = "nothing" if shortcut == Shortcut() else "nothing_named"
        turn.say(t(f"shortcut.{said}", typed=short(text, 60)))
        turn.nav.reask()
        return True
    copy = written_at(copy, fdef, turn.structure)
    offered = screen.settled(suggestion=copy.text, reason="copy", source=copy.source)
    turn.conversation.screen = offered
    turn.nav.ask(offered)
    return True


def _relations_named(relatives: RelativesDef, named: str) -> tuple[str, ...]:
    """The relations ``named`` names: one ("bố", "bà nội"), or each word one ("bố mẹ")."""
    words = _relation_words(relatives)
    if named in words:
        return (words[named],)
    codes = [words.get(w) for w in named.split()]
    found = tuple(c for c in codes if c is not None)
    return found if len(codes) > 1 and len(found) == len(codes) else ()


def _relation_words(relatives: RelativesDef) -> Mapping[str, str]:
    """The words naming a relation of (21) ("bố", "ông nội", "Mẹ đẻ"), folded: their codes
    (worked out once per form: ≈ 20 labels folded were ≈ 30 µs)."""
    found = _RELATIONS.get(id(relatives))
    if found is None or found[0] is not relatives:
        labels = {one_spelling(match_key(r.label)): r.code for r in relatives.relations}
        found = _RELATIONS[id(relatives)] = (relatives, {**labels, **RELATION_WORDS})
    return found[1]


_RELATIONS: dict[int, tuple[RelativesDef, Mapping[str, str]]] = {}


def _names_me(key: str) -> bool:
    """ "ở cùng tôi": the same place as the candidate's, and nothing else said."""
    words = set(key.split())
    return (
        bool(words & _SAME_WORDS)
        and bool(words & _ME_WORDS)
        and words <= _SAME_WORDS | _ME_WORDS | _WHERE_WORDS
    )


def item_address(turn: Turn, number: int) -> Copy | None:
    """The first address answered in item ``number`` («không» is no address: (7)'s
    permanent residence when the temporary one is asked)."""
    structure = turn.structure
    if not structure.has_item(number):
        return None
    item = structure.item(number)
    for f in item.fields:
        value = str(turn.d.answers.get(f.id, "") or "").strip()
        if f.kind in ADDRESSES and value and match_key(value) != "khong":
            return Copy(_named(item, f), value)
    return None


def address_above(turn: Turn, item: ItemDef, field_id: str) -> Copy | None:
    """The address answered last before ``field_id`` in the form's order (None for another
    kind of question: "như trên" names no text above it)."""
    found: Copy | None = None
    if turn.structure.field(item, field_id).kind not in ADDRESSES:
        return None
    for it in turn.structure.items:
        for f in it.fields:
            if it is item and f.id == field_id:
                return found
            value = str(turn.d.answers.get(f.id, "") or "").strip()
            if f.kind in ADDRESSES and value:
                found = Copy(_named(it, f), value)
    return found


def address_above_in_row(
    fields: tuple[FieldDef, ...], row: Row, previous: Row | None, field_id: str, whose: str
) -> Copy | None:
    """The address before ``field_id`` in the same row (the birthplace for the hometown), else
    the same fact of the previous row (``whose`` names it: "Cha đẻ")."""
    found: Copy | None = None
    mine = next((f for f in fields if f.id == field_id), None)
    for f in fields:
        if f.id == field_id or mine is None or mine.kind not in ADDRESSES:
            break
        value = str(row.get(f.id, "") or "").strip()
        if f.kind in ADDRESSES and value:
            found = Copy(f.label, value)
    if found is None and previous is not None:
        value = str(previous.get(field_id, "") or "").strip()
        label = next((f.label for f in fields if f.id == field_id), "")
        if value:
            found = Copy(f"{whose} – {label}" if whose else label, value)
    return found


def _named(item: ItemDef, f: FieldDef) -> str:
    label = item.label if f.label == item.label else f"{item.label} – {f.label}"
    return f"mục {item.ref} {label}" if item.ref else label


def row_fact(fields: Sequence[FieldDef], row: Row, field_id: str, whose: str) -> Copy | None:
    """The fact ``field_id`` of the same row ("như nơi sinh" at a relative's hometown)."""
    value = str(row.get(field_id, "") or "").strip()
    label = next((f.label for f in fields if f.id == field_id), "")
    if not value or match_key(value) == "khong":
        return None
    return Copy(f"{whose} – {label}" if whose else label, value)


def relative_fact(
    structure: Structure, item: ItemDef, relatives: Sequence[Row], code: str, field_id: str
) -> Copy | None:
    """The same fact of the first relative of relation ``code`` who has it ("cùng địa chỉ
    với bố" at the mother's residence: the father's)."""
    for row in relatives:
        if row.get("quan_he") != code:
            continue
        value = str(row.get(field_id, "") or "").strip()
        if value and match_key(value) != "khong":
            fields = structure.columns(item, code)
            label = next((f.label for f in fields if f.id == field_id), "")
            whose = str(row.get("xung_ho") or structure.relation(item, code).label)
            return Copy(f"{whose} – {label}", value)
    return None


def written_at(copy: Copy, fdef: FieldDef, structure: Structure) -> Copy:
    """``copy`` as the question of ``fdef`` writes it: a residence (the candidate's (7), a
    relative's «Nơi ở hiện nay», which copies (7)) takes current names only, so a hometown's
    "(trước đây là …)" is not carried there (HD 38 1.4.2, items 5–7)."""
    if fdef.kind is Kind.ADDRESS_RESIDENCE or _copies_residence(fdef, structure):
        text = current_names(copy.text)
        if text != copy.text:
            return Copy(copy.source, text)
    return copy


def _copies_residence(fdef: FieldDef, structure: Structure) -> bool:
    mine = fdef.same_as_mine
    if mine is None or not structure.has_item(mine):
        return False
    return any(f.kind is Kind.ADDRESS_RESIDENCE for f in structure.item(mine).fields)
