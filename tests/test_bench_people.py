"""The bench's simulated people (bench/people.py) are still people the bot understands.

bench_chat.py replays a recorded conversation with each candidate's own name, birth date,
address and typos; if the bot came to answer one of those differently (an extra question, a
warning that changes the number of replies), the bench would measure a stuck conversation
instead of a full one. Two people with typos, replayed on the real router, must get exactly
the replies the recording had.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.app import build_flows
from handlers.events import Chat, Event, User
from handlers.router import Router
from storage.db import Database
from tests.samples import load_sample

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from bench_chat import record_script, stub_router  # noqa: E402
from bench_cpu import replay  # noqa: E402
from people import person, personalise  # noqa: E402


async def test_each_simulated_person_types_their_own_answers_and_gets_the_recorded_replies(
    tmp_path: Path,
) -> None:
    template = await record_script("a")
    birth = load_sample("a").answers["ngay_sinh"]
    people = [p for p in (person(17, i) for i in range(40)) if p.typo_rate >= 0.4][:2]
    scripts = [personalise(template, who, birth) for who in people]
    typed = [{s.value for s in script if s.kind == "text"} for script in scripts]
    assert typed[0] != typed[1]
    assert {s.value for s in template if s.kind == "text"} - typed[0]  # not sample A's text
    assert any(re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", v) for v in typed[0] | typed[1])
    db = await Database.open(tmp_path / "bench.sqlite3")
    try:
        router = Router(db, flows=build_flows())
        for number, script in enumerate(scripts):
            assert await replay(router, script, str(900 + number)) == 0
        assert router.stats.errors == 0
    finally:
        await db.close()


async def test_each_person_writes_their_own_free_text_and_their_dossier_has_no_flag(
    tmp_path: Path,
) -> None:
    """Free text too is each person's (their studies, job, home commune, relatives' stories,
    the paragraphs), while the conversation keeps its shape and the phrases that rules compare
    (the job in (10) and (15), the diplomas in (11) and (17), the home in (6) and (21)) stay
    consistent: the finished dossier has no flag, as sample A has none. ``free_text=False``
    keeps sample A's free text (the benches' ``--shared-free-text``)."""
    from datetime import date

    from people import FREE_KINDS

    from forms.checks import run_checks
    from tests.telegram_player import read_state

    template = await record_script("a")
    birth = load_sample("a").answers["ngay_sinh"]

    def free(script: list) -> list[str]:
        return [s.value for s in script if s.kind == "text" and s.field_kind in FREE_KINDS]

    scripts = [personalise(template, person(17, i), birth) for i in (3, 4)]
    mine, theirs, sample = free(scripts[0]), free(scripts[1]), free(template)
    assert len(mine) == len(theirs) == len(sample)
    differ = sum(a != b for a, b in zip(mine, theirs, strict=True))
    assert differ > len(sample) // 3, differ  # not a word or two: most of it
    assert sum(a != b for a, b in zip(mine, sample, strict=True)) > len(sample) // 3
    assert free(personalise(template, person(17, 3), birth, free_text=False)) == sample
    path = tmp_path / "free.sqlite3"
    db = await Database.open(path)
    try:
        router = Router(db, flows=build_flows())
        for number, script in enumerate(scripts):
            assert await replay(router, script, str(910 + number)) == 0
            _, dossier = read_state(path, "telegram", str(910 + number))
            assert dossier is not None
            assert run_checks(dossier, today=date(2026, 3, 1)) == []
            stored = dossier.model_dump_json()
            assert [v for v in free(script) if v not in stored] == []  # each answer kept
        assert router.stats.errors == 0
    finally:
        await db.close()


async def test_people_with_bigger_families_play_longer_conversations(tmp_path: Path) -> None:
    """Families differ in size (bench_chat.FAMILIES: more brothers, more awards), so people
    do not all finish — and ask for their draft — in the same seconds: a person with two
    more siblings and two more awards answers each one's questions on the real router, gets
    the recorded replies and has no flag."""
    from datetime import date

    from bench_chat import FAMILIES, Family, script_key
    from people import FAMILY_SHAPES

    from forms.checks import run_checks
    from tests.telegram_player import read_state

    assert len(FAMILIES) == FAMILY_SHAPES == len({f.key for f in FAMILIES})
    shapes = [person(17, i).family for i in range(450)]
    assert min(shapes.count(n) for n in range(FAMILY_SHAPES)) > 25  # each, for many people
    largest = Family(siblings=2, awards=2)
    plain, bigger = await record_script("a"), await record_script("a", family=largest)
    assert len(bigger) - len(plain) >= 26  # two relatives' and two awards' questions more
    assert script_key("view", largest) != script_key("view") == "view"
    who = next(p for p in (person(17, i) for i in range(90)) if FAMILIES[p.family] == largest)
    script = personalise(bigger, who, load_sample("a").answers["ngay_sinh"])
    path = tmp_path / "family.sqlite3"
    db = await Database.open(path)
    try:
        router = Router(db, flows=build_flows())
        assert await replay(router, script, "930") == 0
        _, dossier = read_state(path, "telegram", "930")
        assert dossier is not None
        siblings = [r for r in dossier.relatives if r["quan_he"] == "anh_chi_em"]
        assert [r["xung_ho"] for r in siblings] == ["Anh trai", "Em gái", "Em trai"]
        assert [r["thang_nam"] for r in dossier.tables["khen_thuong"]] == [
            "11/2021",
            "12/2022",
            "01/2025",
        ]
        assert run_checks(dossier, today=date(2026, 3, 1)) == []
        assert router.stats.errors == 0
    finally:
        await db.close()


async def test_a_submitting_candidate_reaches_the_chi_bo_card(tmp_path: Path) -> None:
    """The review share (bench/review_side.py): a candidate seeded into a chi bộ ends the
    recorded conversation with /nop, and the dossier is submitted to that chi bộ (whose bound
    group gets the card the bench's reviewers act on)."""
    from review_side import Cast, seed

    template = await record_script("a", finish="submit")
    assert template[-1].kind == "tap" and template[-1].outputs >= 1
    db = await Database.open(tmp_path / "review.sqlite3")
    try:
        await seed(db, Cast(cb_groups=[-7], du_group=-8, cb_reviewers=[70], submitters=[901]))
        router = Router(db, flows=build_flows())
        await replay(router, template, "901")  # (its count also has the card in the group)
        async with db.read() as r:
            row = await r.fetchone(
                "SELECT d.status, u.name FROM dossiers d JOIN units u ON u.id = d.unit_id"
            )
        assert tuple(row) == ("submitted", "Chi bộ Bench 1")
        assert router.stats.errors == 0
    finally:
        await db.close()


async def test_the_per_step_bench_times_every_step_and_tells_its_kind(tmp_path: Path) -> None:
    """``bench_cpu.py --per-step``: each step of a replay gets its CPU, and the steps are
    told apart as the slow kinds are (addresses, the relatives' table of (21))."""
    from bench_cpu import step_groups

    template = await record_script("a")
    groups = step_groups(template)
    addresses = [s.field_id for s, g in zip(template, groups, strict=True) if g == "address"]
    assert {"noi_dang_ky_khai_sinh", "que_quan", "thuong_tru", "noi_sinh"} <= set(addresses)
    relatives = [n for n, g in enumerate(groups) if g == "item (21)"]
    assert len(relatives) > 50  # the relatives' facts, one block of the script
    inside = groups[relatives[0] : relatives[-1] + 1]
    assert set(inside) <= {"item (21)", "address", "tap"}
    assert all(g == "tap" for s, g in zip(template, groups, strict=True) if s.kind == "tap")
    db = await Database.open(tmp_path / "steps.sqlite3")
    try:
        router = Router(db, flows=build_flows())
        seconds = [0.0] * len(template)
        assert await replay(router, template, "950", per_step=seconds) == 0
        assert all(s > 0 for s in seconds)
    finally:
        await db.close()


async def test_the_stub_router_answers_as_the_router_has_its_flows(tmp_path: Path) -> None:
    """`bench_chat.py --stub` measures the edges' floor (the router, inbox and outbox without
    a flow's work); its flow must stay a flow as the router reads one, or every update
    fails and the bench measures errors."""
    router, close = await stub_router(tmp_path / "stub.sqlite3")
    try:
        user = User("telegram", "7")
        event = Event(user=user, chat=Chat("telegram", "7"), kind="text", text="sửa mục 5")
        (reply,) = await router.handle(event)
        assert reply.text and router.stats.handled == 1
    finally:
        await close()
