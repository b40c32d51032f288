"""Simulated people for the benches: every candidate a different person, reproducibly.

The conversation of sample A is recorded once (bench_chat.record_script) with, for every
typed answer, the kind of field it answers. Each simulated candidate then replays that
conversation as *their own* person: a different name (the same one wherever the sample's
name recurs, so the signature still matches), a different birth date, a different house and
lane number, and — for some people — the typos of a hurried candidate on an unaccented
keyboard (dates with dots, names in lower case, ethnicity and gender without diacritics,
as tests/test_telegram_e2e.py's ``messy`` typist, which the bot reads back into a clean
dossier without asking; unaccented addresses are left out because the bot then asks to
confirm the restored spelling, an extra step the recorded script does not have). Only values
that do not change the shape of the conversation are varied, so every person's script answers
the same questions with the same number of replies; bench_cpu.py's replay checks that on the
real router.

Why: with every candidate typing identical text, the caches keyed on typed text always hit
and the bench flattered the engine (issue 17).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from forms.vn import fold

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Lưu",
    "Mai",
]
MIDDLE = [
    "Văn",
    "Minh",
    "Đức",
    "Thu",
    "Ngọc",
    "Hữu",
    "Thanh",
    "Quang",
    "Hoài",
    "Gia",
    "Bảo",
    "Anh",
    "Xuân",
    "Quốc",
    "Kim",
]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Khoa",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Hiếu",
    "Khánh",
    "Lộc",
    "Nhung",
    "Oanh",
    "Thắng",
    "Trí",
    "Uyên",
    "Việt",
    "Yến",
]


@dataclass(frozen=True)
class Person:
    """Who one simulated candidate is; everything drawn from ``random.Random(seed, index)``."""

    index: int
    seed: int
    birth_shift_days: int  # the sample's birth date moved this many days earlier
    house: int
    lane: int
    typo_rate: float  # share of eligible answers typed the hurried way

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.index}:{salt}")


def person(seed: int, index: int) -> Person:
    rng = random.Random(f"{seed}:{index}")
    return Person(
        index=index,
        seed=seed,
        birth_shift_days=rng.randrange(0, 365),
        house=rng.randrange(1, 400),
        lane=rng.randrange(1, 200),
        typo_rate=rng.choice((0.0, 0.0, 0.15, 0.4)),
    )


def full_name(who: Person, original: str) -> str:
    """A name for ``original`` (the same one every time within a person), with at least one
    diacritic: a name written without any is flagged for the candidate to explain."""
    rng = who.rng(original.casefold())
    name = ""
    while fold(name) == name.lower():
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return name.upper() if original.isupper() else name


def shifted_date(text: str, days: int) -> str:
    day, month, year = (int(part) for part in text.split("/"))
    moved = date(year, month, day) - timedelta(days=days)
    return moved.strftime("%d/%m/%Y")


_NUMBERED = re.compile(r"\b(Số|ngõ) (\d+)")


def residence(who: Person, text: str) -> str:
    numbers = {"Số": who.house, "ngõ": who.lane}
    return _NUMBERED.sub(lambda m: f"{m.group(1)} {numbers[m.group(1)]}", text)


def hurried(kind: str, text: str) -> str:
    """How a hurried candidate types ``text`` (tests/test_telegram_e2e.py's ``messy``)."""
    if kind == "date":
        day, month, year = text.split("/")
        return f"{int(day)}.{int(month)}.{year}"
    if kind == "name":
        return text.lower()
    if kind == "ethnicity":
        return fold(text)
    if kind == "gender":
        return fold(text).upper()
    return text


def personal_text(who: Person, kind: str, field_id: str, text: str, birth: str) -> str:
    """What ``who`` types where the sample typed ``text`` (a field of ``kind``)."""
    if kind == "name":
        text = full_name(who, text)
    elif kind == "date" and text == birth:
        text = shifted_date(text, who.birth_shift_days)
    elif kind == "address_residence":
        text = residence(who, text)
    if who.typo_rate and who.rng(f"typo:{field_id}:{text}").random() < who.typo_rate:
        text = hurried(kind, text)
    return text


def personalise(steps: list[Any], who: Person, birth: str) -> list[Any]:
    """``steps`` (bench_chat.Step, recorded with field kinds) as ``who`` plays them."""
    out = []
    for step in steps:
        if step.kind == "text" and step.field_kind:
            value = personal_text(who, step.field_kind, step.field_id, step.value, birth)
            step = replace(step, value=value)
        out.append(step)
    return out
