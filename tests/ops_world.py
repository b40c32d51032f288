"""A deployment for the operations tests (backup, restore, copy to PostgreSQL, health): the
fake Telegram, the production bot (``open_router`` + ``TelegramService``, long polling) on
one database — an SQLite file or a PostgreSQL URL — that can be stopped, pointed at another
database and started again, and the people of a short review story who keep their chats
across restarts.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO
from typing import Any

from pydantic import SecretStr

from bot.app import open_router
from bot.cli import main
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from handlers.org import bootstrap
from tests.fake_bot_api import FakeBotAPI
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.tg_client import TelegramUser


class Deployment:
    """The bot on ``settings``' database, restartable on another one (:meth:`move`)."""

    def __init__(self, api: FakeBotAPI, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.bot: TelegramService | None = None
        self._close: Any = None
        self.secretary = self.person("Lê Văn Sáu")
        self.reviewer = self.person("Trần Thị Duyệt")
        self.candidate = self.person("Trần Minh Khoa")
        self.group = api.new_group("Chi bộ Phòng Kỹ thuật")
        self.unit = ""  # the chi bộ's number once the story made it

    def person(self, name: str) -> TelegramUser:
        return TelegramUser(self.api, first_name=name, quiet=0.0, timeout=10.0)

    def in_group(self, who: TelegramUser) -> TelegramUser:
        self.api.set_member_status(self.group, who.user, "member")
        return TelegramUser(self.api, who.user, self.group, quiet=0.0, timeout=10.0)

    async def start(self) -> TelegramService:
        router, self._close = await open_router(self.settings)
        self.bot = TelegramService(self.settings, router, pacing=Pacing.unlimited())
        self.api.idle_probe = self.bot.idle
        await self.bot.start()
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
        if self._close is not None:
            await self._close()
            self._close = None

    def move(self, **database: Any) -> None:
        """Point the (stopped) bot at another database: ``db_path=…`` or ``db_url=…``."""
        url = database.get("db_url")
        update = {**database, "db_url": SecretStr(url) if url else None}
        self.settings = self.settings.model_copy(update=update)

    @property
    def db(self) -> Any:
        assert self.bot is not None
        return self.bot.router.db


def settings_for(api: FakeBotAPI, **database: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=api.token,
        api_base_url=api.base_url,
        api_file_url=api.base_file_url,
        polling_timeout=10,
        **database,
    )


def code_in(text: str) -> str:
    match = re.search(r"(?:start=|/start |/ketnoi )([A-Z0-9]{10})", text)
    assert match, text
    return match.group(1)


async def reviewed_dossier(dep: Deployment) -> int:
    """The story through the real bot: a chi bộ with its group and reviewer, a candidate who
    consents and submits sample A, a comment and an approval in the group. The dossier's id."""
    sec, r1, cand = dep.secretary, dep.reviewer, dep.candidate
    async with dep.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_test_bot")
    assert boot.code is not None
    await sec.start(boot.code)
    await sec.command("donvi", "Chi bộ Phòng Kỹ thuật")
    unit = re.search(r"#(\d+)", sec.last_text()).group(1)  # type: ignore[union-attr]
    dep.unit = unit
    await sec.command("moi", "duyet", f"#{unit}")
    await r1.start(code_in(sec.last_text()))
    members = {who: dep.in_group(who) for who in (sec, r1, cand)}
    dep.api.bot_added_to_group(sec.user, dep.group)
    await members[sec].wait_for_message(lambda m: "/ketnoi" in m.content)
    await sec.command("ketnoi", f"#{unit}")
    await members[sec].command("ketnoi", code_in(sec.last_text()))
    assert "đã được kết nối" in members[sec].last_text()
    await sec.command("moi", "ungvien", f"#{unit}")
    await cand.start(code_in(sec.last_text()))
    await cand.click("Tôi đồng ý")
    record = await fill_from_sample(dep.db, "telegram", str(cand.user.id), load_sample("a"))
    await cand.command("nop")
    assert "đã được gửi tới Chi bộ Phòng Kỹ thuật" in cand.last_text()
    card = members[r1].last_message()
    assert f"Hồ sơ #{record.id}" in card.content
    await members[r1].command("nhanxet", "15", "Ghi rõ chức vụ từng giai đoạn.")
    assert "Đã ghi nhận xét" in members[r1].last_text()
    await members[r1].click("Trả lại", message=card)
    assert "đã trả lại" in dep.api.message(dep.group, card.message_id).content
    await cand.command("nop")
    if "Nộp luôn" in " ".join(cand.buttons()):
        await cand.click("Nộp luôn")
    card = members[r1].last_message()
    await members[r1].click("Duyệt", message=card)
    assert members[r1].last_callback.answer_text == "Đã duyệt."
    return record.id


async def new_candidate(dep: Deployment, who: TelegramUser) -> None:
    """Invited to the chi bộ by the secretary, ``who`` consents: the first question."""
    await dep.secretary.command("moi", "ungvien", f"#{dep.unit}")
    await who.start(code_in(dep.secretary.last_text()))
    await who.click("Tôi đồng ý")
    assert "(1) Họ và tên khai sinh" in who.last_text()


#: The parts of the candidate's copy that are the dossier and its review (the rest — when the
#: copy was made, who viewed it — grows with every /dulieu).
DOSSIER_PARTS = ("nguoi", "dong_y", "ho_so", "lich_su_sua", "nhan_xet_gui_anh_chi")


async def exported(who: TelegramUser) -> dict[str, Any]:
    """The candidate's own copy (/dulieu): the JSON file the bot sends, read back — the
    dossier, its revisions and the reviewers' comments (:data:`DOSSIER_PARTS`)."""
    before = len(who.bot_messages())
    await who.command("dulieu")
    files = [m.document for m in who.bot_messages()[before:] if m.document is not None]
    data = json.loads(next(f for f in files if f.filename.endswith(".json")).content)
    return {part: data[part] for part in DOSSIER_PARTS}


@dataclass
class Ran:
    """What ``python -m bot …`` printed and returned."""

    code: int
    out: str
    err: str


async def cli(args: Sequence[str]) -> Ran:
    """``python -m bot ARGS`` in this process (in a thread: it runs its own event loop), with
    the environment the test set (``KND_DB_PATH``, ``KND_DB_URL``, ``KND_DB_KEY``)."""
    out, err = StringIO(), StringIO()

    def run() -> int:
        with redirect_stdout(out), redirect_stderr(err):
            return main(list(args))

    code = await asyncio.to_thread(run)
    return Ran(code, out.getvalue(), err.getvalue())
