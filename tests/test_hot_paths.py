"""Behaviour that the speed work (bench/bench_chat.py) must not change.

The hot path was made cheaper in places where a faster tool replaced a plainer one: these
tests pin what the plainer one guaranteed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.checks import RULES, check_items, needed_by
from forms.checks.core import _triggered
from forms.definition import load_form
from handlers.candidate.structure import answered, structure_for
from storage.core import encode_state
from storage.db import Database
from tests.samples import load_sample
from tests.test_checks_fuzz import mangled

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # no lone surrogates
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


# nested JSON is slow to generate on a loaded machine (the health check failed a suite at load 13)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_text, _json, max_size=6))
def test_encoded_state_is_the_compact_sorted_json_it_always_was(state: dict) -> None:
    # A conversation is rewritten only when its encoding changes: states stored before the
    # switch to orjson must compare equal to the same state encoded now.
    expected = json.dumps(state, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert encode_state(state) == expected
    assert json.loads(encode_state(state)) == state


async def test_a_conversation_read_twice_in_a_transaction_sees_its_own_writes(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    try:
        async with db.transaction() as tx:
            assert await tx.conversations.get("tg", "1", "1") is None
            await tx.conversations.save("tg", "1", "1", {"cur": {"k": "consent"}})
            first = await tx.conversations.get("tg", "1", "1")
            again = await tx.conversations.get("tg", "1", "1")
            await tx.conversations.save("tg", "1", "1", {"cur": {"k": "f"}}, dossier_id=None)
            after_save = await tx.conversations.get("tg", "1", "1")
            await tx.conversations.delete("tg", "1", "1")
            after_delete = await tx.conversations.get("tg", "1", "1")
        assert first is not None and first.state == {"cur": {"k": "consent"}}
        assert again is first  # read once per transaction
        assert after_save is not None and after_save.state == {"cur": {"k": "f"}}
        assert after_delete is None
        async with db.transaction() as tx:  # a new unit of work reads the database again
            await tx.conversations.save("tg", "1", "1", {"cur": {"k": "idle"}})
        async with db.read() as r:
            stored = await r.conversations.get("tg", "1", "1")
        assert stored is not None and stored.state == {"cur": {"k": "idle"}}
    finally:
        await db.close()


# -- typed text: the patterns the faster code replaced -----------------------------------------

_typed = st.text(
    st.sampled_from([*"aăâđeêoôơuư AĐƠ_-'.,!?0123456789\t\n\r", "\u00a0", "\u200b",
                     "\u200d", "\u2028", "\u3000", "\x1c", "\x85", "\u0301", "⬅", "\ufe0f",
                     "✅", "😀", "ß", "ﬁ"])
    | st.characters(blacklist_categories=("Cs",)),
    max_size=30,
)  # fmt: skip


def _pattern_clean(text: str, multiline: bool) -> str:
    """clean_text as it was: whitespace runs always collapsed by the pattern."""
    import re
    import unicodedata

    from forms import vn

    text = vn.nfc(text)
    for old, new in vn._LINE_BREAKS.items():
        text = text.replace(old, new)
    text = text.replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    if not text.isprintable():
        kept = [ch for ch in text if not vn._drop_char(ch, multiline)]
        text = "".join(
            " " if (ch != "\n" and ch.isspace()) else ch
            for i, ch in enumerate(kept)
            if ch != vn._ZWJ or vn._joined(kept, i)
        )
    text = re.sub(r"[^\S\n]+", " ", text)
    if multiline:
        text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
    return unicodedata.normalize("NFC", text.strip()).strip()


@settings(deadline=None)  # the first example imports the parsers
@given(_typed, st.booleans())
def test_typed_text_is_cleaned_and_keyed_as_the_patterns_did(text: str, multiline: bool) -> None:
    import re

    from forms.vn import (
        clean_text,
        fold,
        match_key,
        nfc,
        normalise_tone_marks,
        strip_edges,
        tone_key,
    )

    assert clean_text(text, multiline=multiline) == _pattern_clean(text, multiline)
    assert match_key(text) == " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())
    toned = normalise_tone_marks(nfc(text).lower())
    assert tone_key(text) == " ".join(re.sub(r"[\W_]+", " ", toned).split())
    assert strip_edges(text) == re.sub(r"^[\W_]+|[\W_]+$", "", text.strip())


# -- a question's text: its outline filled in --------------------------------------------------

_value = st.sampled_from(["", " ", "NGUYỄN VĂN AN", " lề ", "a\nb", "\x00current\x00", "{{ x }}"])


@settings(deadline=None)
@given(
    header=_value, subject=_value, current=_value, ref=st.sampled_from(["", "(3)"]),
    label=st.sampled_from(["Họ và tên", "\x00subject\x00"]), prompt=_value, rule=_value,
    example=_value,
)  # fmt: skip
def test_a_question_text_filled_in_is_the_one_rendered_whole(
    header: str, subject: str, current: str, ref: str, label: str, prompt: str, rule: str,
    example: str,
) -> None:  # fmt: skip
    from forms.texts import render, render_filled

    fixed = {"ref": ref, "label": label, "prompt": prompt, "rule": rule, "example": example}
    filled = {"header": header, "subject": subject, "current": current}
    whole = render("chat/question.j2", **fixed, **filled)
    assert render_filled("chat/question.j2", filled, **fixed) == whole
    assert render_filled("chat/question.j2", filled, **fixed) == whole  # from the outline


# --- the engine's lookups built once (docs/benchmarks.md, session 7, helper `engine5`) --------


def _row_lists(structure: Any, item: Any, d: Any) -> list[tuple[dict, str | None]]:
    if item.table is not None:
        return [(row, None) for row in d.rows(item.table.id)]
    if item.relatives is not None:
        codes = {r.code for r in item.relatives.relations}
        return [(row, row.get("quan_he")) for row in d.relatives if row.get("quan_he") in codes]
    return []


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_an_items_fields_are_counted_walked_and_cleaned_as_the_plain_tests_do(d: Any) -> None:
    structure = structure_for(load_form())
    for item in structure.items:
        fields = structure.fields_of(item, d)
        done = sum(answered(f, d.answers) for f in fields)
        assert structure.answered_count(item, d) == (done, len(fields))
        first = next((f for f in fields if not answered(f, d.answers)), None)
        assert structure.first_unanswered(item, d) == first
        for row, code in _row_lists(structure, item, d):
            asked = [f for f in structure.columns(item, code) if f.applies(row)]
            assert structure.row_fields(item, row, code) == asked
            keys = {"quan_he", *(k for f in asked for k in f.storage_keys())}
            kept = {k: v for k, v in row.items() if k in keys}
            assert structure.clean_row(item, row, code) == kept


def test_the_rules_an_answer_triggers_are_those_a_walk_over_the_rules_finds() -> None:
    form = load_form()
    ids = {f.id for _, f in form.scalar_fields()} | {t.id for _, t in form.tables()}
    ids |= {f.id for f in form.relatives().fields} | {"relatives", "nothing"}
    for field_id in sorted(ids):
        walked = [r for r in RULES.values() if field_id in r.fields]
        assert _triggered(field_id) == walked, field_id


def test_a_parts_checks_need_only_the_items_their_rules_need_finished() -> None:
    # check_items selects the rules reading the part, then keeps those whose needs are
    # finished: being finished matters for the needs of those rules only.
    structure = structure_for(load_form())
    every = [it.number for it in structure.items]
    for section in range(len(structure.sections)):
        numbers = [it.number for it in structure.section_items(section)]
        needed = needed_by(numbers)
        for r in RULES.values():
            if r.items & set(numbers):
                assert set(r.needs) <= needed, (section, r.id)
        for sample in "abc":
            d = load_sample(sample)
            today = date(2026, 12, 7)
            whole = check_items(d, numbers, today=today, finished=every)
            among = check_items(d, numbers, today=today, finished=[n for n in every if n in needed])
            assert among == whole, (section, sample)


# --- session 8, helper `engine6` ---------------------------------------------------------------


def test_the_relations_asked_are_those_a_walk_over_the_relations_finds() -> None:
    # Structure.relations_of looks the relations up by the gate answers of (21): every
    # combination of the answers a gate may hold (and more than the lookup keeps) gives what
    # testing each relation's condition gives.
    structure = structure_for(load_form())
    item = next(it for it in structure.items if it.relatives is not None)
    assert item.relatives is not None
    gates = sorted({r.when.field for r in item.relatives.relations if r.when is not None})
    assert len(gates) >= 2  # married? children? … (the lookup has something to key on)
    base = load_sample("a")
    values = ["có", "không", "", "ko biết", *(f"x{n}" for n in range(300))]
    for n, value in enumerate(values):
        answers = dict(base.answers)
        for i, gate in enumerate(gates):
            answers[gate] = values[(n + i) % 4] if i else value
        if n % 7 == 0:
            answers.pop(gates[-1])  # a gate never answered
        d = base.model_copy(update={"answers": answers})
        walked = [r for r in item.relatives.relations if r.applies(answers)]
        assert list(structure.relations_of(item, d)) == walked, answers
        assert list(structure.relations_of(item, d)) == walked  # and looked up again
    for rel in item.relatives.relations:
        assert item.relatives.relation(rel.code) is rel


_ADDRESSES = (
    "xã An Lạc, tỉnh Hưng Yên (trước đây là xã An Lạc, huyện Thanh Bình, tỉnh Thái Bình)",
    "Số 18, ngõ 42 phố Hoa Sữa, tổ dân phố 5, phường Lạc Hồng, thành phố Hà Nội",
    "xa an lac huyen thanh binh tinh thai binh",
    "tho quan quan dong da ha noi",
    "xã Quản Bạ, thị xã Sơn Tây, tp Hà Nội",
    "thôn Đông, x. Tân Xã, h Thạch Thất, t. Hà Tây",
)


def test_a_words_marker_is_worked_out_once_and_as_a_fresh_reading_finds_it() -> None:
    from forms import addresses
    from forms.vn import has_diacritics

    for text in _ADDRESSES:
        toks = addresses._tokens(text)
        assert [t.marked for t in toks] == [has_diacritics(t.raw) for t in toks]
        for i in range(len(toks) + 1):
            first = addresses._marker_before(toks, i)
            fresh = addresses._marker_ending(addresses._tokens(text), i, depth=0)
            assert first == fresh, (text, i)
            assert addresses._marker_before(toks, i) is first  # remembered
        for i in range(len(toks)):  # a province's windows, each key a word longer
            hi = min(len(toks), i + 8)
            joined = [
                (j, addresses._window_key(toks, i, j))
                for j in range(i + 1, hi + 1)
                if toks[j - 1].seg == toks[i].seg
            ]
            assert addresses._window_keys(toks, i, hi) == joined, (text, i)


def test_a_word_the_framing_reads_is_keyed_once_as_the_plain_functions_key_it(
    monkeypatch: Any,
) -> None:
    # forms.framing remembers each word's keys (issue 17): the same keys as its _toned and
    # _folded (one spelling of «kí»/«ký») and has_diacritics give, and a word read before is
    # not worked out again.
    from forms import framing, vn

    framing._word_keys.cache_clear()
    texts = ("dạ em là Nguyễn Văn An ạ", "Em tên: Lê Thị Bình!", "da em la Tran Van C a",
             "em kí tên là Lý Văn Kỹ")  # fmt: skip
    for text in texts:
        for token in framing._tokens(text):
            word = text[token.start : token.end]
            plain = (framing._toned(word), framing._folded(word), not vn.has_diacritics(word))
            assert (token.toned, token.folded, token.plain) == plain, (text, word)
    worked_out: list[str] = []
    monkeypatch.setattr(framing, "tone_key", lambda w: worked_out.append(w) or vn.tone_key(w))
    framing._tokens("em là Phạm Văn Dũng ạ")
    assert worked_out == ["Phạm", "Dũng"]  # "em", "là", "Văn" and "ạ" were read before


def test_an_address_answer_is_read_once_for_the_chat_and_rule_f5(monkeypatch: Any) -> None:
    # The chat reads an address to store it, rule F5 reads it again right after: one reading.
    from forms import addresses
    from forms.checks.addresses import address_problems

    reads: list[str] = []
    read_part = addresses._read_part

    def counted(gaz: Any, text: str) -> Any:
        reads.append(text)
        return read_part(gaz, text)

    monkeypatch.setattr(addresses, "_read_part", counted)
    addresses.analyse_address.cache_clear()
    address_problems.cache_clear()
    text = "Số 7, ngõ 311 phố Hoa Sữa, tổ dân phố 5, phường Lạc Hồng, thành phố Hà Nội"
    analysis = addresses.analyse_address(text, kind="residence")
    problems = address_problems(text, "residence")
    assert reads == [text]
    assert addresses.analyse_address(text, kind="residence") is analysis
    assert [p.key for p in problems] == [k for k in analysis.problems if k != "empty"]


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_the_relatives_a_row_run_reports_on_are_those_in_focus(d: Any) -> None:
    # The (21) rules walk ctx.focused_relatives() instead of every relative tested with
    # in_focus: the same rows, in the same order, for a whole run and for each row's run.
    from forms.checks.core import Ctx

    for row in [None, -1, *range(len(d.relatives) + 2)]:
        ctx = Ctx(d, date(2026, 12, 7), row=row)
        walked = [(i, rel) for i, rel in enumerate(ctx.relatives) if ctx.in_focus(i)]
        assert ctx.focused_relatives() == walked, row


def test_a_fields_blank_is_reported_after_its_answer_as_a_whole_run_reports_it() -> None:
    # F0, in the run right after an answer, reads the one required field answered, not all
    # ~30 (fields._REQUIRED_BY_ID): each blank is reported then as a run over the whole
    # dossier reports it, and nothing else.
    from forms.checks import check_field, run_checks
    from forms.checks.fields import _REQUIRED

    today = date(2026, 12, 7)
    for _, fid, _ in _REQUIRED:
        d = load_sample("a")
        d = d.model_copy(update={"answers": {k: v for k, v in d.answers.items() if k != fid}})
        whole = [f for f in run_checks(d, today=today, rules=["F0"]) if f.field == fid]
        after = [f for f in check_field(d, fid, today=today) if f.rule == "F0"]
        assert after == whole, fid


def test_an_answer_copies_only_the_part_of_the_dossier_it_changes() -> None:
    # Copy-on-write per part (storage.core.apply_changes): an answer copies the answers, a
    # relative's fact the relatives' list; the rest is the snapshot's own, and the snapshot
    # itself is left as it was.
    from storage.core import Change, apply_changes

    d = load_sample("a")
    before = d.model_dump()
    scalar, _ = apply_changes(d, [Change("answers.ho_ten", "NGUYỄN VĂN BÌNH")])
    assert scalar.answers["ho_ten"] == "NGUYỄN VĂN BÌNH"
    assert scalar.relatives is d.relatives and scalar.tables is d.tables
    relative = {**d.relatives[2], "nghe_nghiep": "Làm ruộng"}
    family, _ = apply_changes(d, [Change("relatives.2", relative)])
    assert family.relatives[2] == relative and family.relatives is not d.relatives
    assert family.answers is d.answers and family.tables is d.tables
    row = {**d.tables["lich_su"][0], "noi_dung": "Học tập"}
    table, _ = apply_changes(d, [Change("tables.lich_su.0", row)])
    assert table.tables["lich_su"][0] == row and table.tables["cong_tac"] is d.tables["cong_tac"]
    assert table.answers is d.answers and table.relatives is d.relatives
    assert d.model_dump() == before


async def _at_the_relatives(db: Database) -> tuple[Any, Any, Any]:
    """A router, a candidate who answered sample A up to item (21)'s questions (none of its
    relatives declared), and a player that answers as sample A."""
    from admission.clock import FixedClock
    from bot.demo import Player
    from handlers.candidate import CandidateFlow
    from handlers.router import Router
    from tests.test_conversation import TODAY, consented, seed, without

    router = Router(db, FixedClock(TODAY), [CandidateFlow()])
    client = await consented(router)
    sample = load_sample("a")
    await seed(router, client, without(sample, relatives=True),
               gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu"])  # fmt: skip
    player = Player(router, sample, user_id=client.user_id, platform=client.platform)
    player.replies = list(client.history)
    return router, client, player


async def test_a_relatives_fact_is_checked_by_the_relatives_rules_whatever_its_id(
    db: Database, monkeypatch: Any
) -> None:
    # A relative's name, hometown, occupation, ethnicity and religion share their ids with
    # answers of the candidate's own (ho_ten, que_quan, nghe_nghiep…): right after one, the
    # chat runs item (21)'s rules (X11 on a name, F5 on a hometown), as after any other fact
    # of a relative, not the candidate's (F1, X8…), whose flags are about other items.
    import forms.checks
    from handlers.candidate.relatives import RelativeQuestion
    from tests.test_conversation import cursor

    targets: list[str] = []
    check_field = forms.checks.check_field

    def spied(d: Any, field_id: str, **kw: Any) -> Any:
        targets.append(field_id)
        return check_field(d, field_id, **kw)

    monkeypatch.setattr(forms.checks, "check_field", spied)
    router, client, player = await _at_the_relatives(db)
    facts: set[str] = set()
    while (screen := await cursor(router, client)).item == 21:
        targets.clear()
        await player.answer(screen)
        if isinstance(screen, RelativeQuestion):
            facts.add(screen.field_id)
            assert targets in ([], ["relatives"]), (screen.address, targets)
    assert {"ho_ten", "que_quan", "nghe_nghiep", "dan_toc", "ton_giao"} <= facts


async def test_a_relatives_name_typed_without_diacritics_is_flagged_at_once(db: Database) -> None:
    # As the candidate's own name is (F1): X11's warning comes with "Đã ghi", not only at the
    # part's end (a relative's «ho_ten» used to run the candidate's rules, F1 and X17).
    from handlers.candidate.relatives import RelativeQuestion
    from tests.test_conversation import cursor

    router, client, player = await _at_the_relatives(db)
    while not isinstance(screen := await cursor(router, client), RelativeQuestion):
        await player.answer(screen)
    assert screen.field_id == "ho_ten"
    said = "\n".join(r.text for r in await client.send("TRAN VAN LOC"))
    assert "Đã ghi: TRAN VAN LOC" in said
    assert "Ông nội TRAN VAN LOC: họ và tên chưa có dấu" in said
