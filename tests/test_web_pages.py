"""The web companion over HTTP (bot/web/server.py, handlers/web/pages.py): links become
sessions, pages go through the access gate and are recorded, refusals say nothing of the
dossier, and every answer carries the safety headers. The real browser's tests are
tests/test_web_browser.py."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import docx
import openpyxl
import pytest

from bot.web.server import CSP, RateLimit
from handlers.web.links import Obj
from storage.core import Change
from storage.org import Org
from storage.reviews import Reviews
from tests.samples import load_sample
from tests.web_world import WebWorld, close_world, open_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    w = await open_world(tmp_path)
    yield w
    await close_world(w)


class Browser:
    """An HTTP client that keeps the session cookie by hand (aiohttp's jar would not keep a
    Secure cookie from plain http)."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.cookie = ""

    async def open(self, url: str) -> tuple[int, str]:
        async with self.http.get(url, headers=self._headers()) as r:
            if "knd_s" in r.cookies:
                self.cookie = r.cookies["knd_s"].value
            return r.status, await r.text()

    async def get(self, url: str) -> aiohttp.ClientResponse:
        r = await self.http.get(url, headers=self._headers())
        await r.read()
        return r

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"knd_s={self.cookie}"} if self.cookie else {}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession() as http:
        yield Browser(http)


async def test_a_link_becomes_a_private_session_and_a_recorded_page(
    world: WebWorld, browser: Browser
) -> None:
    async with browser.http.get(world.link("candidate", "form")) as r:
        assert r.status == 200
        cookie = r.headers["Set-Cookie"]
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/w"):
            assert attribute in cookie
        assert r.headers["Content-Security-Policy"] == CSP
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert 'http-equiv="refresh"' in await r.text()
        browser.cookie = r.cookies["knd_s"].value
    status, page = await browser.open(world.base + "/w/")
    assert status == 200
    assert "VŨ THỊ THU HÀ" in page
    assert "Kết quả kiểm tra" in page and "(15)" in page
    assert "<script" not in page and "http" not in page.split("<body>")[1].split("/w/")[0]
    views = await world.views()
    assert views == [(world.ids["candidate"], views[0][1])] and "web_dossier" in views[0][1]
    r = await browser.get(world.base + "/w/tai/docx")
    assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
    read = docx.Document(io.BytesIO(await r.read()))
    assert any("2-KNĐ" in p.text or "LÝ LỊCH" in p.text.upper() for p in read.paragraphs)
    assert len(await world.views()) == 2


async def test_refusals_say_nothing_of_the_dossier(world: WebWorld, browser: Browser) -> None:
    link = world.link("candidate", "dossier")
    token = link.rsplit("/", 1)[1]
    payload, sig = token.split(".")
    status, page = await browser.open(world.base + "/w/" + payload + "." + sig[::-1])
    assert status == 403 and "Liên kết không đúng" in page  # tampered
    world.clock.t += 15 * 60 + 1
    status, page = await browser.open(link)
    assert status == 410 and "hết hạn" in page  # expired
    world.clock.t -= 15 * 60 + 1
    status, page = await browser.open(world.base + "/w/")
    assert status == 401  # no session
    # another person's link to this dossier: the gate says no, nothing recorded
    await browser.open(world.link("other", "dossier"))
    status, page = await browser.open(world.base + "/w/")
    assert status == 403 and "không có quyền" in page
    assert "THU HÀ" not in page
    # a reviewer's link to a draft never submitted
    await browser.open(world.link("reviewer", "review"))
    status, _ = await browser.open(world.base + "/w/")
    assert status == 403
    assert await world.views() == []
    status, _ = await browser.open(world.base + "/w/khong-co")
    assert status == 403  # no token of ours


async def test_a_link_after_the_role_is_withdrawn_or_the_dossier_erased(
    world: WebWorld, browser: Browser
) -> None:
    await world.return_with_comment("Ghi rõ tháng năm")
    await world.resubmit([Change("answers.ten_khac", "Mai Anh")])
    await browser.open(world.link("reviewer", "review"))
    status, _ = await browser.open(world.base + "/w/")
    assert status == 200
    async with world.db.transaction() as tx:
        await tx.repo(Org).revoke(world.ids["role_reviewer"], None)
    status, page = await browser.open(world.base + "/w/")  # the same session, a page later
    assert status == 403 and "không có quyền" in page
    reader = Browser(browser.http)
    await reader.open(world.link("candidate", "dossier"))
    assert (await reader.open(world.base + "/w/"))[0] == 200
    async with world.db.transaction() as tx:
        record = await tx.dossiers.get(world.ids["dossier"])
        assert record is not None
        await tx.dossiers.erase(record)
    assert (await reader.open(world.base + "/w/"))[0] == 403
    assert (await reader.get(world.base + "/w/tai/docx")).status == 403


async def test_the_reviewer_reads_changes_flags_and_comments(
    world: WebWorld, browser: Browser
) -> None:
    await world.return_with_comment("Ghi rõ tháng năm ở mục (15)")
    await world.resubmit([Change("answers.ten_khac", "Mai Anh")])
    await browser.open(world.link("reviewer", "review"))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200
    assert "Thay đổi từ lần xem trước" in page and "Mai Anh" in page
    assert "Ghi rõ tháng năm ở mục (15)" in page
    assert "người khai đã sửa mục này" in page or "chưa thấy sửa mục này" in page
    views = await world.views()
    assert views[-1][0] == world.ids["reviewer"] and "web_review" in views[-1][1]


#: what speaks to the candidate, never to a reviewer: the chat's pronoun, a command, a button
_TO_THE_CANDIDATE = ("anh/chị", "Anh/chị", "hãy", "Hãy", "bấm giải trình", "báo chi bộ",
                     "hỏi chi bộ", " bạn ", " em ")  # fmt: skip


async def test_the_reviewer_reads_the_checks_as_results_about_the_candidate(
    world: WebWorld, browser: Browser
) -> None:
    """The reviewer's page (and its draft's notes) showed the candidate's flag texts: «Mục
    (9): anh/chị ghi tôn giáo…», «nếu đúng là tên không dấu, bấm giải trình…». A reviewer
    reads them about «người khai»; the candidate's own page keeps the texts meant for them."""
    await world.return_with_comment("Ghi rõ tháng năm ở mục (15)")
    grandfather = {**load_sample("b").relatives[0], "nam_sinh": "1990"}  # ông nội, born 1938
    await world.resubmit([
        Change("answers.ho_ten", "VU THI THU HA"),
        Change("answers.ton_giao", "Công giáo"),
        Change("relatives.0", grandfather),
    ])  # fmt: skip
    await browser.open(world.link("reviewer", "review"))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200
    checks = page.split("Kết quả kiểm tra", 1)[1].split("</details>", 1)[0]
    assert "người khai ghi tôn giáo «Công giáo»" in checks, checks
    assert "năm sinh 1990 có vẻ không hợp lý" in checks and "người khai cần giải trình" in checks
    assert not [w for w in _TO_THE_CANDIDATE if w in checks], checks
    notes = await _draft_notes(browser, world.base)
    assert "người khai ghi tôn giáo" in notes and "anh/chị ghi tôn giáo" not in notes
    reader = Browser(browser.http)
    await reader.open(world.link("candidate", "dossier"))
    status, own = await reader.open(world.base + "/w/")
    assert status == 200 and "anh/chị ghi tôn giáo «Công giáo»" in own
    notes = await _draft_notes(reader, world.base)
    assert "anh/chị ghi tôn giáo" in notes and "người khai ghi tôn giáo" not in notes


async def _draft_notes(browser: Browser, base: str) -> str:
    """The checklist of flags in the draft .docx the session downloads (its last table)."""
    r = await browser.get(base + "/w/tai/docx")
    table = docx.Document(io.BytesIO(await r.read())).tables[-1]
    return "\n".join(cell.text for row in table.rows for cell in row.cells)


async def test_an_expired_link_tells_its_reader_how_to_get_a_new_one(
    world: WebWorld, browser: Browser
) -> None:
    """A reviewer's or secretary's expired link said «Anh/chị gửi /web trong chat» — a
    candidate's command. Each is told their own way to a new link."""
    await world.return_with_comment("Ghi rõ tháng năm")
    await world.resubmit([Change("answers.ten_khac", "Mai Anh")])
    links = {
        "candidate": world.link("candidate", "dossier"),
        "reviewer": world.link("reviewer", "review"),
        "secretary": world.link("secretary", "summary", world.ids["unit"]),
    }
    world.clock.t += 15 * 60 + 1
    pages = {who: await browser.open(link) for who, link in links.items()}
    assert all(status == 410 for status, _ in pages.values())
    assert "/web" in pages["candidate"][1]
    assert "«Xem»" in pages["reviewer"][1] and "/web" not in pages["reviewer"][1]
    assert "/tinhhinh" in pages["secretary"][1] and "/web" not in pages["secretary"][1]


async def test_the_review_page_says_where_the_decisions_are_taken(
    world: WebWorld, browser: Browser
) -> None:
    """The page a reviewer's «Xem» links to read the dossier and stopped there: a newcomer
    looked for the buttons on it. It says the decisions are the group card's (or typed), and
    once returned, that the candidate has it."""
    n = world.ids["dossier"]
    async with world.db.transaction() as tx:
        record = await tx.dossiers.get(n)
        assert record is not None
        await tx.repo(Reviews).start_review(await tx.dossiers.set_status(record, "submitted"))
    await browser.open(world.link("reviewer", "review"))
    page = (await browser.open(world.base + "/w/"))[1]
    assert "trong nhóm chat của Chi bộ 1" in page and f"/duyet {n}" in page
    await world.return_with_comment("Ghi rõ tháng năm ở mục (15)")
    page = (await browser.open(world.base + "/w/"))[1]
    assert "đã trả lại cho người khai" in page and f"/duyet {n}" not in page


async def test_the_candidate_reads_the_comments_returned(world: WebWorld, browser: Browser) -> None:
    await world.return_with_comment("Ghi rõ tháng năm ở mục (15)")
    await browser.open(world.link("candidate", "form"))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200
    assert "Nhận xét gửi lại cho anh/chị" in page and "Ghi rõ tháng năm ở mục (15)" in page


async def test_the_secretary_reads_the_summary_chart_and_spreadsheet(
    world: WebWorld, browser: Browser
) -> None:
    await browser.open(world.link("secretary", "summary", world.ids["unit"]))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200 and "Chi bộ 1" in page and "/w/tai/chart.png" in page
    chart = await browser.get(world.base + "/w/tai/chart.png")
    assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
    xlsx = await browser.get(world.base + "/w/tai/xlsx")
    assert xlsx.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await xlsx.read()))
    assert book.active is not None and book.active.max_row >= 2
    # a reviewer is no secretary
    await browser.open(world.link("reviewer", "summary", world.ids["unit"]))
    assert (await browser.open(world.base + "/w/"))[0] == 403


async def test_web_in_the_chat_gives_the_candidate_their_link_and_pauses(world: WebWorld) -> None:
    replies = await world.chat("candidate", "/web")
    text = "\n".join(r.text for r in replies)
    assert "http://127.0.0.1/w/" in text and "15 phút" in text
    token = text.split("/w/", 1)[1].split()[0]
    grant = world.signer.verify(token)
    assert not isinstance(grant, type(None))
    assert getattr(grant, "obj", None) == Obj("form", world.ids["dossier"])
    assert any("Tiếp tục" in b.label for r in replies for row in r.buttons for b in row)


def test_rate_limit_per_address() -> None:
    now = [0.0]
    limit = RateLimit(3, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")
    now[0] += 20  # one request back every 20 s
    assert limit.allow("a") and not limit.allow("a")


async def test_too_many_requests_from_one_address(world: WebWorld, browser: Browser) -> None:
    world.server.limit = RateLimit(5)
    statuses = [(await browser.get(world.base + "/w/s.css")).status for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]


def test_session_lasts_its_own_time(world: WebWorld) -> None:
    assert world.server.session_ttl == timedelta(hours=1)


async def _form(world: WebWorld, browser: Browser, part: int) -> str:
    status, page = await browser.open(f"{world.base}/w/phan/{part}")
    assert status == 200
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_a_post_without_its_csrf_token_is_refused_and_stores_nothing(
    world: WebWorld, browser: Browser
) -> None:
    await browser.open(world.link("candidate", "form"))
    csrf = await _form(world, browser, 0)
    headers = {"Cookie": f"knd_s={browser.cookie}"}
    for data in ({"f.ten_khac": "Hùng Sơn"}, {"f.ten_khac": "Hùng Sơn", "csrf": csrf[:-1] + "x"}):
        async with browser.http.post(
            world.base + "/w/phan/0", data=data, headers=headers, allow_redirects=False
        ) as r:
            assert r.status == 403 and "chưa được lưu" in await r.text()
    async with world.db.read() as r:
        record = await r.dossiers.get(world.ids["dossier"])
        assert record is not None and record.dossier.answers.get("ten_khac") != "Hùng Sơn"
        assert record.revision == 0
    async with browser.http.post(
        world.base + "/w/phan/0",
        data={"f.ten_khac": "Hùng Sơn", "csrf": csrf},
        headers=headers,
        allow_redirects=False,
    ) as r:
        assert r.status == 303 and r.headers["Location"] == "/w/phan/0?luu"


async def test_what_does_not_parse_comes_back_as_typed_and_the_rest_is_stored(
    world: WebWorld, browser: Browser
) -> None:
    await browser.open(world.link("candidate", "form"))
    csrf = await _form(world, browser, 0)
    data = {"csrf": csrf, "f.ngay_sinh": "31/02/1997", "f.ten_khac": "Hùng Sơn"}
    async with browser.http.post(
        world.base + "/w/phan/0", data=data, headers={"Cookie": f"knd_s={browser.cookie}"}
    ) as r:
        page = await r.text()
        assert r.status == 422
    assert 'value="31/02/1997"' in page and 'id="f.ngay_sinh.loi"' in page
    assert "1 câu chưa lưu được" in page
    async with world.db.read() as r:
        record = await r.dossiers.get(world.ids["dossier"])
        assert record is not None
        assert record.dossier.answers["ten_khac"] == "Hùng Sơn"
        assert (
            "ngay_sinh" not in record.dossier.answers
            or record.dossier.answers["ngay_sinh"] != "31/02/1997"
        )


async def test_the_form_is_closed_once_submitted(world: WebWorld, browser: Browser) -> None:
    await browser.open(world.link("candidate", "form"))
    await _form(world, browser, 0)
    await world.return_with_comment("x")  # submitted then returned: editable again
    assert (await browser.open(world.base + "/w/phan/0"))[0] == 200
    await world.resubmit([])
    status, page = await browser.open(world.base + "/w/phan/0")
    assert status == 403 and "không có quyền" in page
    await browser.open(world.link("candidate", "dossier"))  # a read link still reads
    assert (await browser.open(world.base + "/w/"))[0] == 200
    assert (await browser.open(world.base + "/w/phan/0"))[0] == 403


async def test_a_candidate_without_a_messenger_consents_then_fills_the_form(
    world: WebWorld, browser: Browser
) -> None:
    """A /moi ungvien invite opened on the web: the consent first (nothing stored), then the
    person, their consent, role and dossier, and a form session; the code is used once."""
    from storage.org import Org as OrgRepo

    async with world.db.transaction() as tx:
        invite = await tx.repo(OrgRepo).create_invite(
            "role", world.ids["unit"], role="candidate", ttl=timedelta(days=7)
        )
    url = f"{world.base}/w/moi/{invite.token}"
    status, page = await browser.open(url)
    assert status == 200 and "Tôi đồng ý" in page and "Chi bộ 1" in page
    async with world.db.read() as r:
        before = await r.fetchval("SELECT COUNT(*) FROM people")
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    async with browser.http.post(url, data={"ten": "Lê Văn Nam"}, allow_redirects=False) as r:
        assert r.status == 403  # no CSRF token
    async with browser.http.post(url, data={"csrf": csrf, "ten": ""}) as r:
        assert r.status == 422 and "ghi họ tên" in await r.text()
    async with world.db.read() as r:
        assert await r.fetchval("SELECT COUNT(*) FROM people") == before  # nothing yet
    async with browser.http.post(
        url, data={"csrf": csrf, "ten": "Lê Văn Nam", "dongy": "1"}, allow_redirects=False
    ) as r:
        assert r.status == 303 and r.headers["Location"] == "/w/phan/0"
        browser.cookie = r.cookies["knd_s"].value
    status, page = await browser.open(world.base + "/w/phan/0")
    assert status == 200 and "Phần 1: Bản thân" in page
    async with world.db.read() as r:
        row = await r.fetchone(
            "SELECT id, platform, display_name, consent_at IS NOT NULL, consent_version"
            " FROM people WHERE display_name = 'Lê Văn Nam'"
        )
        assert row is not None and row[1] == "web" and row[3] and row[4]
        record = await r.dossiers.current_for(row[0])
        assert record is not None and record.unit_id == world.ids["unit"]
        roles = await r.repo(OrgRepo).roles_of(row[0])
        assert [(g.role, g.unit_id) for g in roles] == [("candidate", world.ids["unit"])]
    status, page = await Browser(browser.http).open(url)  # used once
    assert status == 404 and "đã dùng hết" in page


async def test_the_invite_names_its_web_link(world: WebWorld) -> None:
    replies = await world.chat("secretary", "/moi ungvien")
    text = "\n".join(r.text for r in replies)
    assert "http://127.0.0.1/w/moi/" in text, text


async def test_staff_get_their_links_privately_from_xem_and_tinhhinh(
    world: WebWorld, browser: Browser
) -> None:
    """The card's «Xem» answers in the reviewer's private chat with the web link of the
    review page; a private /tinhhinh carries the summary's."""
    from handlers.review.actions import VIEW, CardRef

    await world.return_with_comment("Ghi rõ tháng năm")
    await world.resubmit([Change("answers.ten_khac", "Mai Anh")])
    async with world.db.read() as r:
        record = await r.dossiers.get(world.ids["dossier"])
        assert record is not None
    replies = await world.tap("reviewer", VIEW.encode(CardRef(record.id, record.revision)))
    texts = [r.text for r in replies if "/w/" in r.text]
    assert texts and all(r.chat is None or r.chat.kind == "private" for r in replies)
    link = "http://127.0.0.1/w/" + texts[0].split("/w/", 1)[1].split()[0]
    await browser.open(link.replace("http://127.0.0.1", world.base))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200 and "Mai Anh" in page

    replies = await world.chat("secretary", "/tinhhinh")
    text = "\n".join(r.text for r in replies)
    assert "/w/" in text
    link = world.base + "/w/" + text.split("/w/", 1)[1].split()[0]
    reader = Browser(browser.http)
    await reader.open(link)
    status, page = await reader.open(world.base + "/w/")
    assert status == 200 and "Tình hình: Chi bộ 1" in page


async def test_the_console_runs_the_web_companion_on_its_own_server(tmp_path: Path) -> None:
    """python -m bot without a token, with KND_WEB_BASE_URL: /web in the console gives a link
    that the console's own web server opens (read while the console still runs)."""
    import socket
    import urllib.request

    from bot.console import run_console
    from bot.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        web_base_url=f"http://127.0.0.1:{port}",
        web_port=port,
        web_key_file=tmp_path / "web.key",
        _env_file=None,  # type: ignore[call-arg]
    )
    out = io.StringIO()
    seen: list[tuple[int, str]] = []

    class Typing(io.StringIO):
        """Types the lines, then opens the link the console printed, then ends."""

        def __init__(self) -> None:
            super().__init__("1\nnguyễn văn an\n/web\n")

        def readline(self, size: int | None = -1) -> str:
            line = super().readline()
            if line:
                return line
            token = out.getvalue().split("/w/", 1)[1].split()[0]
            opener = urllib.request.build_opener()
            with opener.open(f"http://127.0.0.1:{port}/w/{token}") as r:
                cookie = r.headers["Set-Cookie"].split(";", 1)[0]
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/w/", headers={"Cookie": cookie}
            )
            with opener.open(request) as r:
                seen.append((r.status, r.read().decode()))
            return ""

    code = await run_console(
        tmp_path / "c.sqlite3", Typing(), out, documents_dir=tmp_path / "d", settings=settings
    )
    assert code == 0
    assert seen and seen[0][0] == 200 and "NGUYỄN VĂN AN" in seen[0][1]


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice not installed")
async def test_the_pdf_download_reads_back_with_the_name_and_an_answer(
    world: WebWorld, browser: Browser
) -> None:
    """«Tải PDF» through the session: LibreOffice's PDF of the draft, read back with pypdf."""
    import pypdf

    from bot.web.pdf import docx_to_pdf

    world.server.pages.pdf = docx_to_pdf
    await browser.open(world.link("candidate", "dossier"))
    status, page = await browser.open(world.base + "/w/")
    assert status == 200 and "/w/tai/pdf" in page
    r = await browser.get(world.base + "/w/tai/pdf")
    assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"]
    data = await r.read()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    assert "VŨ THỊ THU HÀ" in text.upper()
    async with world.db.read() as rd:
        record = await rd.dossiers.get(world.ids["dossier"])
        assert record is not None
    answer = record.dossier.answers["chuyen_mon"]  # (8)'s answer, as the candidate gave it
    assert answer == "Cử nhân Sư phạm Ngữ văn" and answer in text
    assert "web_dossier_pdf" in (await world.views())[-1][1]


async def _post(world: WebWorld, browser: Browser, part: int, data: dict[str, str]) -> str:
    """A part posted with the session and its CSRF token; the page after the redirect."""
    csrf = await _form(world, browser, part)
    async with browser.http.post(
        f"{world.base}/w/phan/{part}",
        data={"csrf": csrf, **data},
        headers={"Cookie": f"knd_s={browser.cookie}"},
    ) as r:
        return await r.text()


async def _revisions_since(world: WebWorld, revision: int) -> list[tuple[str, str | None]]:
    async with world.db.read() as r:
        rows = await r.fetchall(
            "SELECT path, new_value FROM answer_revisions WHERE dossier_id = ? AND revision > ?"
            " ORDER BY revision",
            (world.ids["dossier"], revision),
        )
    return [(p, v) for p, v in rows]


async def test_a_relative_is_added_edited_and_deleted_on_the_web(
    world: WebWorld, browser: Browser
) -> None:
    """(21) on the web: a relative added by relation and name lands beside the others of that
    relation; a fact edited and the relative deleted are revisions like a chat answer's."""
    import json

    part = 7
    await browser.open(world.link("candidate", "form"))
    async with world.db.read() as r:
        before = await r.dossiers.get(world.ids["dossier"])
        assert before is not None
    siblings = [i for i, x in enumerate(before.dossier.relatives) if x["quan_he"] == "anh_chi_em"]
    page = await _post(
        world, browser, part, {"r.new.quan_he": "Anh, chị, em ruột", "r.new.ho_ten": "vũ văn bình"}
    )
    assert "VŨ VĂN BÌNH" in page
    at = siblings[-1] + 1
    [(path, value)] = await _revisions_since(world, before.revision)
    assert path == f"relatives.{at}" and value is not None
    assert json.loads(value) == {"quan_he": "anh_chi_em", "ho_ten": "VŨ VĂN BÌNH"}
    async with world.db.read() as r:
        added = await r.dossiers.get(world.ids["dossier"])
        assert added is not None
    assert added.dossier.relatives[at]["ho_ten"] == "VŨ VĂN BÌNH"
    assert len(added.dossier.relatives) == len(before.dossier.relatives) + 1

    await _post(world, browser, part, {f"r.{at}.nam_sinh": "1995"})
    [(path, value)] = await _revisions_since(world, added.revision)
    assert path == f"relatives.{at}" and value is not None
    assert json.loads(value)["nam_sinh"] == "1995"

    await _post(world, browser, part, {f"r.{at}.xoa": "1"})
    [(path, value)] = await _revisions_since(world, added.revision + 1)
    assert path == f"relatives.{at}" and value is None
    async with world.db.read() as r:
        after = await r.dossiers.get(world.ids["dossier"])
        assert after is not None
    assert after.dossier.relatives == before.dossier.relatives
    # a name without a relation is not stored, and is shown again as typed
    page = await _post(world, browser, part, {"r.new.ho_ten": "Lê Thị Hoa"})
    assert "Xin chọn quan hệ" in page and 'value="Lê Thị Hoa"' in page
    assert await _revisions_since(world, after.revision) == []


async def test_the_chat_resumes_at_the_first_open_question_after_the_web_without_a_pause(
    tmp_path: Path, browser: Browser
) -> None:
    """The form link opened without /web (the chat not paused): the next text typed in the
    chat is not filed under the question on display, answered meanwhile on the web; the
    chat says so and asks the first question still open, and that one takes the answer."""
    world = await open_world(tmp_path, sample=None)
    try:
        await world.chat("candidate", "xin chào")
        asked = "\n".join(r.text for r in await world.chat("candidate", "nguyễn văn hùng"))
        assert "(2)" in asked or "tên gọi khác" in asked.lower(), asked
        await browser.open(world.link("candidate", "form"))
        await _post(world, browser, 0, {
            "f.ten_khac": "Hùng Sơn", "f.ngay_sinh": "15/8/1997", "f.gioi_tinh": "nam",
            "f.noi_dang_ky_khai_sinh": "xã An Lạc, tỉnh Hưng Yên",
            "f.que_quan": "xã An Lạc, tỉnh Hưng Yên",
        })  # fmt: skip
        replies = await world.chat("candidate", "Hùng Dũng")  # meant for (2), on display
        text = "\n".join(r.text for r in replies)
        assert "vừa được sửa ở nơi khác" in text and "(7)" in text, text
        async with world.db.read() as r:
            record = await r.dossiers.get(world.ids["dossier"])
            assert record is not None
        assert record.dossier.answers["ten_khac"] == "Hùng Sơn"
        assert "Hùng Dũng" not in record.dossier.model_dump_json()
        revision = record.revision
        # the question now on display takes the next text as its answer
        replies = await world.chat("candidate", "Xóm 2, thôn An Lạc, xã An Lạc, tỉnh Hưng Yên")
        assert "vừa được sửa" not in "\n".join(r.text for r in replies)
        assert await _revisions_since(world, revision)
    finally:
        await close_world(world)


BOT = int(os.environ.setdefault("KND_TEST_BOT_PID", str(os.getpid())))  # workers: the same


def chart_elsewhere(summary: Any) -> bytes:
    """The summary's chart, refused in the bot's own process (picklable: module level)."""
    from handlers.charts import summary_chart

    if os.getpid() == BOT:
        raise AssertionError("rendered in the bot's own process")
    return summary_chart(summary)


async def test_the_web_renders_its_documents_and_chart_in_the_rendering_pool(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The .docx and the chart of the web come from the renderer's worker processes, as the
    chat's do: rendering them in the bot's own process fails this test."""
    import forms.document
    import handlers.web.pages
    from bot.app import render_pool
    from handlers.rendering import DocumentRenderer

    render = forms.document.render_dossier

    def elsewhere(*args: Any, **kwargs: Any) -> bytes:
        if os.getpid() == BOT:
            raise AssertionError("rendered in the bot's own process")
        return render(*args, **kwargs)

    monkeypatch.setattr(forms.document, "render_dossier", elsewhere)
    monkeypatch.setattr(handlers.web.pages, "summary_chart", chart_elsewhere)
    pool = render_pool(1)
    world = await open_world(tmp_path)
    try:
        world.server.pages.renderer = DocumentRenderer(pool)
        await browser.open(world.link("candidate", "dossier"))
        r = await browser.get(world.base + "/w/tai/docx")
        assert r.status == 200
        read = docx.Document(io.BytesIO(await r.read()))
        assert any("VŨ THỊ THU HÀ" in p.text.upper() for p in read.paragraphs)
        await browser.open(world.link("secretary", "summary", world.ids["unit"]))
        chart = await browser.get(world.base + "/w/tai/chart.png")
        assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
    finally:
        await close_world(world)
        pool.shutdown()


async def test_the_flags_on_a_value_stand_beside_its_field_after_the_save(
    world: WebWorld, browser: Browser
) -> None:
    """A place typed without diacritics (F19) is also a commune the gazetteer does not know
    (F21, with the closest real ones): after «Lưu», both stand beside that field."""
    await browser.open(world.link("candidate", "form"))
    page = await _post(world, browser, 0, {"f.que_quan": "xa Hai Quynh, tinh Ninh Binh"})
    assert "Đã lưu" in page

    def beside(name: str) -> str:
        spans = page.split(f'id="{name}.canh-bao-')[1:]
        return "\n".join(s.split(">", 1)[1].split("</span>", 1)[0] for s in spans)

    origin = beside("f.que_quan")
    assert "«xa Hai Quynh, tinh Ninh Binh» viết không dấu" in origin  # F19
    assert "không tìm thấy xã Hai Quynh" in origin and "Hải Quang" in origin  # F21, closest
    assert beside("f.ho_ten") == "" and "viết không dấu" not in beside("f.noi_dang_ky_khai_sinh")


def _hidden(page: str) -> dict[str, str]:
    """The hidden inputs of a page, unescaped, as the browser would post them."""
    import html as escapes
    import re

    found = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    return {escapes.unescape(k): escapes.unescape(v) for k, v in found}


async def test_a_save_that_would_erase_answers_shows_them_and_asks_first(
    world: WebWorld, browser: Browser
) -> None:
    """As the chat asks «Xóa?» (issue 12): «chưa kết hôn» on the web would delete the spouse's
    side of (21) and their answer; the page lists it and stores nothing until «Xóa và lưu»;
    «Không xóa» keeps the dossier as it was. A relative's «Đã mất: không» does the same with
    the year, cause and place of death."""
    part, headers = 7, {"Cookie": ""}
    await browser.open(world.link("candidate", "form"))
    headers["Cookie"] = f"knd_s={browser.cookie}"
    async with world.db.read() as r:
        before = await r.dossiers.get(world.ids["dossier"])
        assert before is not None
    spouse = next(x for x in before.dossier.relatives if x["quan_he"] == "vo_chong")
    assert before.dossier.answers["da_ket_hon"] == "có"
    page = await _post(world, browser, part, {"f.da_ket_hon": "không"})
    lost = page.split('id="se-xoa">', 1)[1].split("</ul>", 1)[0]
    assert f"Vợ (chồng): {spouse['ho_ten']}" in lost and "Cha vợ (chồng)" in lost
    assert await _revisions_since(world, before.revision) == []  # nothing stored yet
    assert 'href="/w/phan/7" id="khong-xoa"' in page or 'id="khong-xoa" href="/w/phan/7"' in page
    status, kept = await browser.open(f"{world.base}/w/phan/{part}")  # «Không xóa»
    assert status == 200 and spouse["ho_ten"] in kept

    again = _hidden(page)
    assert again["f.da_ket_hon"] == "không" and again["xacnhan"] == str(before.revision)
    async with browser.http.post(
        f"{world.base}/w/phan/{part}", data=again, headers=headers, allow_redirects=False
    ) as r:
        assert r.status == 303  # «Xóa và lưu»
    async with world.db.read() as r:
        after = await r.dossiers.get(world.ids["dossier"])
        assert after is not None
    assert after.dossier.answers["da_ket_hon"] == "không"
    codes = {x["quan_he"] for x in after.dossier.relatives}
    assert not codes & {"vo_chong", "cha_vc", "me_vc", "anh_chi_em_vc"}
    assert "vc_co_anh_chi_em" not in after.dossier.answers
    assert len(await _revisions_since(world, before.revision)) > 2

    # a relative's fact: alive now, so the year of death would go
    i = next(n for n, x in enumerate(after.dossier.relatives) if x.get("da_mat") == "có")
    year = after.dossier.relatives[i]["nam_mat"]
    page = await _post(world, browser, part, {f"r.{i}.da_mat": "không"})
    assert f"Năm mất: {year}" in page.split('id="se-xoa">', 1)[1].split("</ul>", 1)[0]
    assert await _revisions_since(world, after.revision) == []
    async with browser.http.post(
        f"{world.base}/w/phan/{part}", data=_hidden(page), headers=headers, allow_redirects=False
    ) as r:
        assert r.status == 303
    async with world.db.read() as r:
        alive = await r.dossiers.get(world.ids["dossier"])
        assert alive is not None
    assert "nam_mat" not in alive.dossier.relatives[i]
    assert alive.dossier.relatives[i]["da_mat"] == "không"


async def test_every_open_is_a_view_and_a_new_revision_is_checked_anew(
    world: WebWorld, browser: Browser
) -> None:
    """The checks are kept per revision: reading twice records two views; a save makes a
    new revision whose flags the next page shows (nothing stale is served)."""
    await browser.open(world.link("candidate", "form"))
    for _ in range(2):
        status, page = await browser.open(world.base + "/w/")
        assert status == 200 and "viết không dấu" not in page
    assert [d for _, d in await world.views()].count('{"what":"web_dossier","as":"candidate"}') == 2
    await _post(world, browser, 0, {"f.que_quan": "xa Hai Quynh, tinh Ninh Binh"})
    status, page = await browser.open(world.base + "/w/")
    assert status == 200 and "«xa Hai Quynh, tinh Ninh Binh» viết không dấu" in page
    assert len([d for _, d in await world.views() if "web_dossier" in d]) == 3
