"""/lichsu through the production Router: the candidate flow, the review and the secretary's
steps all write to a dossier's history, and the secretary reads it in Vietnamese."""

from __future__ import annotations

import re

from handlers.org import bootstrap
from handlers.router import Router
from tests.samples import load_sample
from tests.test_review_router import (  # noqa: F401  (router: fixture)
    PLATFORM,
    Net,
    code,
    invited_candidate_submits,
    person,
    router,
)


async def test_history_speaks_vietnamese_for_every_recorded_action(router: Router) -> None:  # noqa: F811
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    rev, rev_chat = person("rev", "Người duyệt")
    cand, cand_chat = person("cand", "Nguyễn Văn An")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    assert boot.code
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    record = await invited_candidate_submits(net, sec, cand, load_sample("b"))
    await net.event(rev, rev_chat, kind="command", command="hoso")
    show = net.last(rev_chat)[1].buttons[0][0]
    await net.event(rev, rev_chat, kind="button", action=show.action)
    card_id, card = net.last(rev_chat)
    approve = next(b for row in card.buttons for b in row if "Duyệt" in b.label)
    await net.event(rev, rev_chat, kind="button", action=approve.action, message_ref=card_id)

    await net.event(
        sec, sec_chat, kind="command", command="buoc", text=f"{record.id} viettay 02/03/2026"
    )
    assert "Nộp bản lý lịch viết tay" in net.last(sec_chat)[1].text

    await net.event(cand, cand_chat, kind="command", command="dulieu")  # their data, sent
    await net.event(sec, sec_chat, kind="command", command="lichsu", text=f"#{record.id}")
    history = net.last(sec_chat)[1].text
    assert "duyệt" in history
    assert "tải về dữ liệu của mình · Nguyễn Văn An" in history
    assert "«Nộp bản lý lịch viết tay» ngày 02/03/2026" in history
    assert "gửi bản chính thức cho người khai · Nguyễn Văn An" in history
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", history), history  # no raw action names
    assert history.count("nộp hồ sơ") == 1, history  # one submission, said once
