"""The candidate's texts (``templates/chat.toml``) and the small formatting rules shared by
the screens."""

from __future__ import annotations

from functools import cache
from typing import Any

from forms import parsers
from forms.classify import read_yes_no
from forms.dossier import Dossier
from forms.framing import polite_words
from forms.model import FieldDef, Kind
from forms.texts import message
from forms.vn import fold, match_key

#: How forms.addresses writes the old name after the new one.
BRACKET_OLD = "(trước đây là"
COMMAND_NAMES = (
    "start", "tiendo", "sua", "xem", "nop", "huy", "rut", "xoa", "dulieu", "web", "trogiup",
)  # fmt: skip


def t(key: str, **kw: Any) -> str:
    """A text of ``templates/chat.toml`` (texts without parameters are rendered once)."""
    if kw:
        return message(f"chat.{key}", **kw)
    return _static(key)


@cache
def _static(key: str) -> str:
    return message(f"chat.{key}")


#: The command menu (name, description) for setMyCommands, in Vietnamese.
COMMANDS: list[tuple[str, str]] = [(name, t(f"commands.{name}")) for name in COMMAND_NAMES]


def short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def joined(*parts: str) -> str:
    """A long answer sent in parts, as one (:mod:`.continuation`): one line, as stored."""
    return " ".join(p.strip() for p in parts if p.strip())


def label(text: str) -> str:
    """A button's label: one short line."""
    return short(text, 40)


def first_sentence(text: str) -> str:
    text = text.strip()
    for stop in (". ", "; "):
        if stop in text:
            return text.split(stop, 1)[0].rstrip(".") + "."
    return text


def display(fdef: FieldDef, values: dict[str, str]) -> str:
    """The stored answer of ``fdef`` as one line (a period as "09/2019 - nay")."""
    if fdef.kind is Kind.PERIOD:
        tu, den = values.get("tu", ""), values.get("den", "")
        return f"{tu} - {den}" if tu or den else ""
    return str(values.get(fdef.id, ""))


def draft_filename(d: Dossier) -> str:
    name = fold(d.answers.get("ho_ten", "")).upper().replace(" ", "_")
    safe = "".join(ch for ch in name if ch.isalnum() or ch == "_")
    return f"ly-lich-nhap{'-' + safe if safe else ''}.docx"


@cache
def suited(suggestions: tuple[str, ...], relation: str) -> tuple[str, ...]:
    """The suggestions that start with a word of the relation's label ("Anh, chị, em ruột":
    "Anh trai", "Em gái", not "Con trai"); all of them when none does. The form's own
    texts: worked out once per field and relation, not at every question of (21)."""
    words = set(match_key(relation).split())
    fitting = tuple(s for s in suggestions if match_key(s).partition(" ")[0] in words)
    return fitting or suggestions


def typed_yes_no(text: str, *, yes: tuple[str, ...] = (), no: tuple[str, ...] = ()) -> bool | None:
    """A typed yes/no ("có", "dong y", "dung" = dùng, "không", "thôi"…), None when it is
    neither; ``yes`` / ``no`` are the question's own button labels, read first ("xoa",
    "khong xoa", "giu nguyen")."""
    try:
        return parsers.parse_yes_no(text, yes=yes, no=no)
    except parsers.ParseError:
        return None


_LOOP_DONE = frozenset(
    match_key(w)
    for w in (
        "hết", "hết rồi", "xong", "xong rồi", "đủ rồi", "không còn", "không còn ai",
        "không còn nữa", "không còn ai nữa", "không có ai nữa", "không có nữa", "hết người",
        "chỉ có vậy", "chỉ vậy thôi", "vậy thôi", "thế thôi",
    )
)  # fmt: skip
_LOOP_ADD = frozenset(
    match_key(w)
    for w in (
        "còn", "còn nữa", "còn ạ", "thêm", "thêm người", "thêm nữa", "có nữa", "còn người nữa",
        "còn một người nữa", "còn 1 người nữa", "thêm một người", "thêm 1 người", "còn ai nữa",
        "có", "có ạ", "c", "có nữa ạ", "có thêm", "thêm dòng", "thêm giai đoạn",
    )
)  # fmt: skip
#: Chat spellings of "không" and polite tails, for the loop menus' typed replies.
_NO_SPELLINGS = {
    "ko": "khong", "k": "khong", "kg": "khong", "hok": "khong", "hong": "khong", "r": "roi",
}  # fmt: skip
_TAILS = polite_words()[1] | {"roi a"}  # forms/data/framing.toml, and "rồi ạ"


def loop_reply(text: str, *, adding: bool, any_yes: bool = False) -> str:
    """What a typed reply to a loop menu means: "không" / "hết rồi" / "ko con ai" → "done",
    "có" / "còn" / "thêm" → "add" (when the menu adds one kind of row), and any yes ("ừ",
    "ok") too where the menu asks "Còn ai nữa không?" (``any_yes``); "" when it means
    neither."""
    words = [_NO_SPELLINGS.get(w, w) for w in match_key(text).split()]
    while len(words) > 1 and words[-1] in _TAILS:
        words.pop()
    key = " ".join(words)
    if key in _LOOP_DONE:
        return "done"
    if key in _LOOP_ADD:
        return "add" if adding else ""
    # "Thêm …, sửa, xóa, hay xong?" is no yes/no question: "ok", "ừ", "rồi", "đúng", "dùng"
    # could mean "xong" as well as "thêm", so they pick nothing; a "không" / "chưa" is done.
    yes = typed_yes_no(text)
    if yes is False or (yes is None and read_yes_no(text) is False):
        return "done"  # "không", and "chưa đi học lớp nào", "không có khen thưởng"
    return "add" if yes and any_yes and adding else ""
