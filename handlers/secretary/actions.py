"""The secretaries' buttons: one typed codec per kind, all under ``sec:`` (≤ 64 bytes).

``sec:th:<unit>`` summary, ``sec:xl:<unit>`` spreadsheet, ``sec:cd:<dossier>`` a dossier's
card, ``sec:wp:<dossier>:<g|v>`` choose the person verified (a request sent, a reply back),
``sec:as:<dossier>:<step>[:<person>]`` ask the date, ``sec:rc:<dossier>:<step>:<yyyymmdd>
[:<person>[:a|d]]`` record (``a`` abroad, ``d`` at home, neither: as the dossier says),
``sec:un:<dossier>`` undo the last step; ``sec:ct:<unit>`` a group summary's or digest's
details, sent privately, ``sec:cp:<dossier>`` a card's details, sent privately;
``sec:nk:<dossier>:<yyyymmdd>`` "không kết nạp" confirmed. Messages already sent carry these:
the formats stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.routing import ActionCodec

PREFIX = "sec"


@dataclass(frozen=True, slots=True)
class UnitRef:
    unit: int


@dataclass(frozen=True, slots=True)
class DossierRef:
    dossier: int


@dataclass(frozen=True, slots=True)
class PickPerson:
    dossier: int
    which: str  # "v": a reply back (the people awaited); anything else: a request sent


@dataclass(frozen=True, slots=True)
class AskDate:
    dossier: int
    step: str
    person: str = ""


@dataclass(frozen=True, slots=True)
class RecordStep:
    dossier: int
    step: str
    day: str  # yyyymmdd
    person: str = ""
    place: str = ""  # "a" abroad, "d" at home (the secretary's choice), "": as the dossier says


@dataclass(frozen=True, slots=True)
class DecisionDay:
    dossier: int
    day: str  # yyyymmdd


SUMMARY = ActionCodec(PREFIX, "th", UnitRef)
EXPORT = ActionCodec(PREFIX, "xl", UnitRef)
CARD = ActionCodec(PREFIX, "cd", DossierRef)
UNDO = ActionCodec(PREFIX, "un", DossierRef)
PICK_PERSON = ActionCodec(PREFIX, "wp", PickPerson)
ASK_DATE = ActionCodec(PREFIX, "as", AskDate)
RECORD = ActionCodec(PREFIX, "rc", RecordStep)
SUMMARY_DETAILS = ActionCodec(PREFIX, "ct", UnitRef)
CARD_DETAILS = ActionCodec(PREFIX, "cp", DossierRef)
CONFIRM_NOT_ADMITTED = ActionCodec(PREFIX, "nk", DecisionDay)

ACTIONS: tuple[ActionCodec[Any], ...] = (
    SUMMARY, EXPORT, CARD, UNDO, PICK_PERSON, ASK_DATE, RECORD, SUMMARY_DETAILS, CARD_DETAILS,
    CONFIRM_NOT_ADMITTED,
)  # fmt: skip
