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
