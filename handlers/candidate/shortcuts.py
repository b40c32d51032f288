"""Shortcuts people expect when an answer repeats one already given: "như trên" / "nt" (the
address just above: the birthplace for the hometown, the relative's birthplace; any text:
the same fact of the previous row or relative) and "giống mục (6)" (an item's address). The
booklet never says "như trên": the copy is written out. The copy is shown with where it comes
from and stored only once confirmed (:class:`.questions.Question` offers it like a
suggestion); "hôm nay" and one-month periods are read by :mod:`.answers`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from forms.dossier import Row
from forms.framing import unframe
from forms.model import FieldDef, ItemDef, Kind
from forms.vn import match_key
from handlers.candidate.core import Turn

ADDRESSES = frozenset({Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE})
_COPYABLE = ADDRESSES | {Kind.TEXT, Kind.LONG_TEXT}
_ABOVE = frozenset(
    match_key(w)
    for w in (
        "như trên", "giống trên", "như ở trên", "giống ở trên", "giống như trên", "y như trên",
        "như mục trên", "giống mục trên", "như câu trên", "giống câu trên", "như trên ạ",
        "giống trên ạ", "như bên trên", "giống bên trên", "như nơi sinh", "giống nơi sinh",
        "nt", "n/t", "như trên.", "như trên ạ",
    )
)  # fmt: skip
_ITEM = re.compile(
    r"^(?:y )?(?:giong|nhu|giong nhu|nhu o|giong o|cung) (?:muc|cau) (\d{1,2})(?: a)?$"
)
#: "the same as" before an item named in words: "như nơi đăng ký khai sinh", "cùng nơi sinh",
#: "giống quê quán", "trùng với nơi thường trú" (folded, longest first)
_SAME = ("y nhu", "giong nhu", "giong voi", "trung voi", "nhu o", "giong o", "cung voi",
         "nhu", "giong", "cung", "trung")  # fmt: skip


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
    """ "như trên" (``item`` None) or "giống mục (N)"."""

    item: int | None = None


def read_shortcut(
    text: str, fdef: FieldDef, item_named: Callable[[str], ItemDef | None] | None = None
) -> Shortcut | None:
    """The shortcut ``text`` is, at a question of ``fdef`` (addresses and free text), or
    None. ``item_named`` reads an item's name (Structure.item_named): at an address, "như
    nơi đăng ký khai sinh" is "giống mục (5)"."""
    if fdef.kind not in _COPYABLE:
        return None
    key = match_key(unframe(text, Kind.TEXT))  # "dạ, như trên ạ"
    if key in _ABOVE:
        return Shortcut()
    found = _ITEM.match(key)
    if found:
        return Shortcut(int(found[1]))
    if fdef.same_as_mine is not None and _names_me(key):
        return Shortcut(fdef.same_as_mine)
    if fdef.kind not in ADDRESSES or item_named is None:
        return None
    for same in _SAME:
        named = key[len(same) + 1 :]
        if key.startswith(same + " ") and len(named.split()) >= 2:  # "như cũ" names nothing
            item = item_named(named)
            if item is not None and any(f.kind in ADDRESSES for f in item.fields):
                return Shortcut(item.number)
            return None
    return None


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
