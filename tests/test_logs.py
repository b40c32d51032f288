"""Issue 11, logs: a failure a person caused is logged by type and place, never with its message
or a traceback (they may quote what was typed); no chat id is logged at INFO."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from handlers.events import Chat, Event, Reply, User
from handlers.failures import failure_place
from handlers.router import Router
from handlers.routing import Routes
from storage.db import Database
from tests.test_delivery import ScriptedTransport, deliver, make_delivery
from tests.virtual_clock import VirtualClock

TYPED = "NGUYỄN VĂN AN, số 18 phố Hoa Sữa"
CHAT_ID = "733019245"


class Failing:
    """A flow that fails on what the person typed, quoting it in the exception."""

    name = "failing"
    routes = Routes(flow="failing", prefix="fl", private_default=True)

    async def handle(self, tx: object, event: Event) -> list[Reply]:
        raise ValueError(f"cannot read {event.text!r}")


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """The records as a handler would print them, tracebacks included."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(r) for r in caplog.records)


def test_the_place_of_a_failure_names_our_frames_not_the_message() -> None:
    try:
        int(TYPED)
    except ValueError as exc:
        place = failure_place(exc)
    assert place.startswith("ValueError at tests/test_logs.py:")
    assert "Hoa Sữa" not in place and "NGUYỄN" not in place


async def test_a_flow_failure_is_logged_without_its_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "l.sqlite3")
    try:
        router = Router(db, flows=[Failing()])  # type: ignore[list-item]
        user, chat = User("tg", CHAT_ID, "An"), Chat("tg", CHAT_ID, "private")
        with caplog.at_level(logging.DEBUG):
            replies = await router.handle(Event(user, chat, "text", text=TYPED, update_key="1"))
    finally:
        await db.close()
    assert replies and replies[0].text  # the apology
    logged = everything_logged(caplog)
    assert "flow failed on a text event in a private chat: ValueError at tests/test_logs.py:" in (
        logged
    )
    assert "Hoa Sữa" not in logged and "NGUYỄN" not in logged and "Traceback" not in logged
    assert CHAT_ID not in logged
    assert all(r.exc_info is None for r in caplog.records)


async def test_delivery_logs_no_chat_id_at_info(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.delivery import ChatMoved, Refused, TryAgain

    clock = VirtualClock()
    transport = ScriptedTransport(clock)
    moved_to = "-100998877"

    async def chat_moved(chat: Chat, new_id: str) -> None:
        return None

    delivery = make_delivery(db, transport, clock, chat_moved=chat_moved)
    private, group = Chat("tg", CHAT_ID), Chat("tg", "-4455667788", "group")
    transport.fail(private, TryAgain("timed out"), Refused("Forbidden: bot was blocked"))
    transport.fail(group, ChatMoved(moved_to))
    with caplog.at_level(logging.INFO):
        await deliver(delivery, clock, [Reply(text="một"), Reply(text="hai")], private)
        await deliver(delivery, clock, [Reply(text="thẻ")], group)
        await asyncio.sleep(0)
    logged = everything_logged(caplog)
    assert "retrying" in logged and "refuses the bot" in logged and "moved" in logged
    for chat_id in (CHAT_ID, "4455667788", "100998877"):
        assert chat_id not in logged, chat_id


# -- a failing rule quotes the dossier in its exception: neither its message nor a traceback ---


def _quoting(ctx: object) -> list[object]:
    raise ValueError(f"cannot read {ctx.d.value('ho_ten')!r}")  # type: ignore[attr-defined]


async def test_a_failing_rule_logs_its_id_not_the_dossier(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from forms.checks import run_checks
    from forms.checks.core import RULES
    from tests.samples import load_sample

    monkeypatch.setitem(RULES, "X5", replace(RULES["X5"], fn=_quoting))
    sample = load_sample("a")
    with caplog.at_level(logging.DEBUG):
        run_checks(sample, today=None)  # not raised: the other rules ran
    logged = everything_logged(caplog)
    assert "check X5 failed on a dossier: ValueError" in logged
    assert sample.value("ho_ten") not in logged and "Traceback" not in logged
    assert all(r.exc_info is None for r in caplog.records)


async def test_the_candidates_chat_goes_on_when_checks_fail_and_logs_no_content(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """/xem, /tiendo and /dulieu with every check broken: the candidate gets their draft and
    their data; the log names the failure's type and place only."""
    from bot.app import build_flows
    from handlers.candidate import flags as candidate_flags
    from tests.chat_client import ChatClient
    from tests.review_harness import fill_from_sample
    from tests.samples import load_sample

    sample = load_sample("a")

    def broken(dossier: object, **_: object) -> list[object]:
        raise ValueError(f"cannot read {sample.value('ho_ten')!r} born {sample.value('ngay_sinh')}")

    client = ChatClient(Router(db, flows=build_flows()), user_id=CHAT_ID, name="Khoa")
    await client.send("/start")
    await client.click("Tôi đồng ý")
    await fill_from_sample(db, client.platform, CHAT_ID, sample)
    monkeypatch.setattr(candidate_flags.fchecks, "run_checks", broken)
    with caplog.at_level(logging.DEBUG):
        shown = await client.send("/xem")
        await client.send("/tiendo")
        mine = await client.send("/dulieu")
    assert any(r.document and r.document.filename.endswith(".docx") for r in shown)
    assert any(r.document and r.document.filename.endswith(".json") for r in mine)
    logged = everything_logged(caplog)
    assert "checks failed: ValueError at tests/test_logs.py:" in logged
    assert "< handlers/candidate/flags.py:" in logged
    for secret in (sample.value("ho_ten"), sample.value("ngay_sinh"), CHAT_ID, "Traceback"):
        assert secret not in logged, secret
    assert all(r.exc_info is None for r in caplog.records)
