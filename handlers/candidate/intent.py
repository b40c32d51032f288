"""Is this text an answer? And which button did a typed text mean?

Two small, honest heuristics, kept apart so they can be read and tested on their own:

* :func:`not_an_answer` — a greeting, thanks, a question about the question ("cái này là
  gì?"), or text made only of emoji/punctuation never becomes data. For fields whose kind
  cannot contain a question (dates, names, choices, addresses…) a trailing "?" or a question
  phrase is enough; for free-text fields only a short text that *is* a question counts
  (a narrative may legitimately contain "?" or "gì"). When in doubt the text is taken as an
  answer: the candidate sees what was stored and can go back.
* :func:`typed_button` — every button can be typed instead of tapped: its number in the list
  shown, or its label (case and diacritics ignored), so the console and Zalo (no buttons)
  work the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from forms.model import Kind
from forms.vn import fold, match_key

NotAnswer = Literal["greeting", "thanks", "question", "noise", "control"]

_GREETINGS = frozenset(
    match_key(w)
    for w in (
        "chào", "xin chào", "chào bạn", "chào bot", "chào em", "chào anh", "chào chị", "hello",
        "hi", "helo", "alo", "a lô", "hey", "chào buổi sáng", "chào buổi tối", "xin chào bạn",
    )
)  # fmt: skip
# Button words typed where that button is not offered ("bỏ qua" on a required field).
CONTROL_WORDS = frozenset(
    match_key(w)
    for w in (
        "bỏ qua", "bo qua", "skip", "quay lại", "trở lại", "back", "giải thích", "xong",
        "tiếp tục", "giữ nguyên", "hủy", "thôi", "dừng", "không biết", "chưa biết",
    )
)  # fmt: skip
_THANKS = frozenset(
    match_key(w)
    for w in ("cảm ơn", "cám ơn", "cảm ơn bạn", "cảm ơn nhiều", "thanks", "thank you", "tks")
)
# Phrases that ask about the question rather than answer it (folded, no diacritics).
_QUESTION_PHRASES = (
    "la gi", "nghia la", "the nao", "nhu nao", "ra sao", "tai sao", "vi sao", "sao lai",
    "ghi gi", "dien gi", "khai gi", "ghi sao", "ghi nhu", "khong hieu", "chua hieu",
    "hoi gi", "can gi", "phai ghi", "giai thich", "huong dan", "giup toi", "giup minh",
    "lam sao", "bao gio", "co can", "co phai", "duoc khong", "duoc ko", "hay khong",
)  # fmt: skip
# Whole words only: as substrings they are inside names ("Cần Giờ" ⊃ "can gi", "phường Dân
# Chủ" ⊃ "huong dan", "Nghĩa Lâm" ⊃ "nghia la").
_QUESTION_PHRASE = re.compile(r"\b(?:" + "|".join(map(re.escape, _QUESTION_PHRASES)) + r")\b")
# An address written as one ("…, thị xã La Gi, tỉnh Bình Thuận": a comma and a level word) is
# an address even if a place is called "La Gi": its question phrases are not looked for
# (a trailing "?" still counts; "quê quán là gì" has neither).
_ADDRESS_WORD = re.compile(
    r"\b(?:xa|phuong|thi tran|thi xa|huyen|tinh|thanh pho|tp|thon|xom|ap|to dan pho)\b"
)
_ADDRESSES = frozenset({Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE})
_QUESTION_START = re.compile(
    r"^(?:cho (?:minh |toi |em )?hoi|xin hoi|hoi (?:chut|xiu|ti)|tai sao|vi sao)\b"
)
# Kinds whose canonical answers never contain a question.
_STRUCTURED = frozenset(
    {
        Kind.NAME, Kind.OTHER_NAMES, Kind.DATE, Kind.MONTH, Kind.PERIOD, Kind.YEAR, Kind.GENDER,
        Kind.ETHNICITY, Kind.RELIGION, Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE,
        Kind.EDUCATION, Kind.POLITICAL_THEORY, Kind.CHOICE, Kind.YES_NO, Kind.PLEDGE,
    }
)  # fmt: skip
_WORDY = re.compile(r"[^\W_]", re.UNICODE)
_SHORT_QUESTION = 80


def not_an_answer(text: str, kind: Kind | None) -> NotAnswer | None:
    """Why ``text`` is not an answer to a question of ``kind`` (None: treat it as one)."""
    stripped = text.strip()
    if not _WORDY.search(stripped):
        return "noise"  # emoji, punctuation, nothing
    key = match_key(stripped.rstrip("!.?~ "))
    if key in _GREETINGS:
        return "greeting"
    if key in _THANKS:
        return "thanks"
    if key in CONTROL_WORDS:
        return "control"
    folded = fold(stripped)
    asks = stripped.endswith(("?", "？")) or bool(_QUESTION_START.match(folded))
    phrase = bool(_QUESTION_PHRASE.search(folded))
    if phrase and kind in _ADDRESSES and "," in folded and _ADDRESS_WORD.search(folded):
        phrase = False
    if kind in _STRUCTURED or kind is None:
        if asks or phrase:
            return "question"
        return None
    # Free text: only a short text that is plainly a question.
    if len(stripped) <= _SHORT_QUESTION and asks and (phrase or len(stripped.split()) <= 8):
        return "question"
    return None


def typed_button(text: str, buttons: Sequence[Sequence[str]]) -> str | None:
    """The action of the button whose number or label ``text`` is, else None."""
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit():
        n = int(stripped)
        if 1 <= n <= len(buttons):
            return buttons[n - 1][1]
        return None
    key = match_key(_strip_marks(text))
    if not key:
        return None
    for label, action in buttons:
        if match_key(_strip_marks(label)) == key:
            return action
    return None


_MARKS = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def _strip_marks(label: str) -> str:
    """A label without its leading emoji/arrows ("⬅️ Quay lại" → "Quay lại")."""
    return _MARKS.sub("", label.strip())
