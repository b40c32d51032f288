"""Conversations stored before the screens became types (state version 1: one- and
two-letter keys, cursors like ``{"k": "col", "i": 15, "r": 2, "f": "viec"}``) load and carry
on exactly as the code of that time did.

``tests/data/conversation_v1.json`` was captured from that code (commit in its
``captured_with``): for each case, the stored state and dossier at one point of a
conversation — a period's start chosen with a forward stack, a pending address suggestion
with a flag list and an item being revisited, a pending confirmation, consent asked with an
invite code kept — then the events that followed and the replies they got, byte for byte.
One reply changed since, on purpose (issue 12): a flag's fix button names the flagged field
("c:go:5:-1:noi_dang_ky_khai_sinh", was "c:go:5") so it opens that question. Since issue
15 grandparents and parents have three more facts (nationality, ethnicity, religion): the
stored relatives of ``confirm_drop_pending`` were given them ("Việt Nam", "Kinh", "không"),
as a candidate of today would have answered, so the replies stay the captured ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from admission.clock import FixedClock
from forms.dossier import Dossier
from handlers.candidate import CandidateFlow, read_conversation, stored_state
from handlers.candidate.consent import version as consent_version
from handlers.events import Reply
from handlers.router import Router
from storage.db import Database
from tests.chat_client import ChatClient

CAPTURED = json.loads(
    (Path(__file__).parent / "data" / "conversation_v1.json").read_text(encoding="utf-8")
)
CASES = {case["name"]: case for case in CAPTURED["cases"]}


def as_captured(replies: list[Reply]) -> list[dict[str, Any]]:
    return [
        {
            "text": r.text,
            "buttons": [[b.label, b.action] for row in r.buttons for b in row],
            "toast": r.toast,
            "document": r.document.filename if r.document else None,
        }
        for r in replies
    ]


async def stored(router: Router, client: ChatClient) -> tuple[dict[str, Any], Any]:
    async with router.db.read() as r:
        conv = await r.conversations.get(client.platform, client.user_id, client.user_id)
        assert conv is not None
        record = await r.dossiers.get(conv.dossier_id) if conv.dossier_id else None
    dossier = json.loads(record.dossier.model_dump_json()) if record else None
    return conv.state, dossier


async def restore(router: Router, client: ChatClient, case: dict[str, Any]) -> None:
    """The database as the old code left it: the person, the dossier, the version 1 state."""
    person_id = dossier_id = None
    async with router.db.transaction() as tx:
        if case["dossier"] is not None:
            user = client.user
            # the consent as accepted today (a consent of the old text is asked again first:
            # tests/test_candidate_privacy.py)
            person = await tx.people.get_or_create(
                user.platform, user.id, user.name, consent=True, version=consent_version()
            )
            content = Dossier.model_validate(case["dossier"])
            record = await tx.dossiers.create(person.id, content)
            person_id, dossier_id = person.id, record.id
        await tx.conversations.save(
            client.platform,
            client.user_id,
            client.user_id,
            case["state"],
            person_id=person_id,
            dossier_id=dossier_id,
        )


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_version_1_conversation_carries_on_as_before(db: Database, name: str) -> None:
    case = CASES[name]
    assert case["state"]["v"] == 1
    router = Router(db, FixedClock(datetime.fromisoformat(CAPTURED["today"])), [CandidateFlow()])
    client = ChatClient(router, user_id="v1")
    await restore(router, client, case)
    loaded = read_conversation(case["state"])
    assert loaded.screen.kind != "unset"
    for step in case["events"]:
        kind, value = step["event"]
        replies = await (client.send(value) if kind == "text" else client.press(value))
        assert as_captured(replies) == step["replies"], f"{name}: after {kind} {value!r}"
    state, dossier = await stored(router, client)
    assert dossier == case["dossier_after"]
    assert state["v"] == 2
    again = json.loads(json.dumps(stored_state(read_conversation(state))))
    assert again == state  # version 2 reads back unchanged


def test_version_1_cursors_become_screens() -> None:
    """Every kind of version 1 cursor names the same question as a screen."""
    period = read_conversation(CASES["period_start_and_history"]["state"])
    assert period.screen.address == "column 15 0 thoi_gian"
    assert period.screen.extras() == {"start": "09/2019"}
    assert period.forward == ["column 15 0 chuc_vu", "column 15 0 viec"]
    assert period.buttons[0] == ["nay", "c:opt:0"] and period.asked == 8
    assert period.sent_buttons()[0] == ("nay", "c:opt:0~8")
    drop = read_conversation(CASES["confirm_drop_pending"]["state"])
    assert drop.screen.address == "confirm drop 21"
    assert drop.screen.extras() == {
        "answer": "field 21 da_ket_hon",
        "values": {"da_ket_hon": "không"},
    }
    assert drop.back == ["gate 13", "field 21 da_ket_hon"] and drop.revisiting == 21
    suggestion = read_conversation(CASES["suggestion_and_flag_list"]["state"])
    assert suggestion.explainable == ["F8:ton_giao"] and suggestion.flag_lists == 1
    assert suggestion.flag_buttons[1] == ["💬 Giải trình cảnh báo 1", "c:xpl:1.0"]
    consent = read_conversation(CASES["consent_with_payload"]["state"])
    assert consent.screen.kind == "consent" and consent.payload == "ABCDEFGH23"
    old = {
        "cur": {"k": "rel", "i": 21, "c": "con", "r": None, "f": "ho_ten", "edit": 1},
        "hist": [{"k": "rels", "i": 21, "c": "con"}, {"k": "relmenu", "i": 21}, {"k": "done"}],
    }
    mixed = read_conversation(old)
    assert mixed.screen.address == "relative 21 con new ho_ten revisit"
    assert mixed.back == ["loop 21 con", "relatives 21", "done"]
    xpl = read_conversation({"v": 1, "cur": {"k": "xpl", "key": "X14:2"}})
    assert (xpl.screen.kind, xpl.screen.extras()) == ("explain", {"flag": "X14:2"})
