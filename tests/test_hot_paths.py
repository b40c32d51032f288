"""Behaviour that the speed work (bench/bench_chat.py) must not change.

The hot path was made cheaper in places where a faster tool replaced a plainer one: these
tests pin what the plainer one guaranteed.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from storage.core import encode_state
from storage.db import Database

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # no lone surrogates
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


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
