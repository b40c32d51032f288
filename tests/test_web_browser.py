"""The web companion in a real browser (Debian's Chromium, headless, through Selenium): a
candidate opens the link /web gave them, fills part 1 and two rows of (15), sees a flag
appear and fixes it, and the chat then continues at the right question; a reviewer opens
the link of their «Xem» and sees what changed. Every page is photographed at 360 px wide
(``$KND_ARTIFACTS`` or the test's folder) and checked for no horizontal scroll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.core import Change
from tests import browser as chromium_browser
from tests.browser import WIDTH, artifacts, chromium, fits, screenshot
from tests.web_world import WebWorld, close_world, open_world

pytestmark = pytest.mark.skipif(
    not chromium_browser.available(), reason="Chromium, chromium-driver or Selenium missing"
)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium() as d:
        yield d


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    w = await open_world(tmp_path, sample=None)
    yield w
    await close_world(w)


# The server runs on this test's event loop: every blocking call to the browser runs in a
# thread, so the page it loads (a refresh, a click's navigation) can be served meanwhile.


async def shot(driver: Any, folder: Path, name: str) -> None:
    """The page fits 360 px (no horizontal scroll), photographed."""
    width, inner = await asyncio.to_thread(fits, driver)
    assert inner <= WIDTH and width <= WIDTH, f"{name}: {width} px wide"
    await asyncio.to_thread(screenshot, driver, folder, name)


async def load(driver: Any, url: str) -> None:
    """Open ``url`` and wait for the page it ends on (a link moves on to /w/)."""
    from selenium.webdriver.support.ui import WebDriverWait

    await asyncio.to_thread(driver.get, url)
    if "/w/" in url and "." in url.rsplit("/", 1)[1]:
        wait = WebDriverWait(driver, 10)
        await asyncio.to_thread(wait.until, lambda d: d.current_url.endswith("/w/") or
                                "Không mở được" in d.title)  # fmt: skip


async def click(driver: Any, css: str) -> None:
    """Click and wait for the page the click leads to (a link, a form's post and redirect)."""
    await asyncio.to_thread(_click, driver, css)


def _click(driver: Any, css: str) -> None:
    """The page before the click is marked; the click has led on once a page without the
    mark is loaded. (Selenium's ``staleness_of`` asks the old node, and Chromium sometimes
    answers that question with an inspector error instead of "stale" while it navigates.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__before_click = true")
    driver.find_element(By.CSS_SELECTOR, css).click()
    wait = WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,))
    wait.until(
        lambda d: d.execute_script(
            "return window.__before_click === undefined && document.readyState === 'complete'"
        )
    )


async def fill(driver: Any, values: dict[str, str]) -> None:
    await asyncio.to_thread(_fill, driver, values)


async def body(driver: Any) -> str:
    return await asyncio.to_thread(_body, driver)


def _fill(driver: Any, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        element = driver.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)


def _body(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


PART_1 = {
    "f.ho_ten": "nguyễn văn hùng",
    "f.ngay_sinh": "15/8/1997",
    "f.gioi_tinh": "nam",
    "f.noi_dang_ky_khai_sinh": "xã An Lạc, tỉnh Hưng Yên",
    "f.que_quan": "xã An Lạc, tỉnh Hưng Yên",
}
GAP = "thiếu 07/2019–08/2021"


async def test_a_candidate_fills_the_form_on_the_web_and_the_chat_goes_on(
    driver: Any, world: WebWorld, tmp_path: Path
) -> None:
    folder = artifacts(tmp_path / "screens")
    replies = await world.chat("candidate", "/web")
    text = "\n".join(r.text for r in replies)
    link = world.base + "/w/" + text.split("/w/", 1)[1].split()[0]
    resume = next(b for r in replies for row in r.buttons for b in row if "Tiếp tục" in b.label)

    await load(driver, link)  # the link, then the page by a same-site refresh
    assert "Hồ sơ của anh/chị" in await body(driver) and "/w/phan/0" in await asyncio.to_thread(
        lambda: driver.page_source
    )
    await shot(driver, folder, "1-candidate-dossier")
    await click(driver, 'a[href="/w/phan/0"]')
    await fill(driver, PART_1)
    await shot(driver, folder, "2-part-1")
    await click(driver, 'button[value="o-lai"]')
    assert "Đã lưu" in await body(driver)

    await load(driver, world.base + "/w/phan/4")  # (14) and (15)
    await fill(driver, {"t.cong_tac.0.thoi_gian": "09/2015 - 06/2019",
                  "t.cong_tac.0.viec": "Sinh viên Trường Đại học Bách khoa Hà Nội"})  # fmt: skip
    await click(driver, 'button[value="o-lai"]')
    assert GAP not in await body(driver)
    await fill(driver, {"t.cong_tac.1.thoi_gian": "09/2021 - nay",
                  "t.cong_tac.1.viec": "Kỹ sư phần mềm, Công ty Sao Mai"})  # fmt: skip
    await click(driver, 'button[value="o-lai"]')
    assert GAP in await body(driver)  # the flag appears under the part, with how to fix it
    await shot(driver, folder, "3-part-5-flag")
    await fill(driver, {"t.cong_tac.1.thoi_gian": "07/2019 - nay"})
    await click(driver, 'button[value="o-lai"]')
    assert "Đã lưu" in await body(driver) and "thiếu 0" not in await body(driver)
    await shot(driver, folder, "4-part-5-fixed")

    async with world.db.read() as r:
        record = await r.dossiers.get(world.ids["dossier"])
        assert record is not None
        assert record.dossier.answers["ho_ten"] == "NGUYỄN VĂN HÙNG"
        assert [row["tu"] for row in record.dossier.rows("cong_tac")] == ["09/2015", "07/2019"]
        stored = await r.fetchval(
            "SELECT COUNT(*) FROM answer_revisions WHERE dossier_id = ? AND person_id = ?",
            (record.id, world.ids["candidate"]),
        )
        assert stored == record.revision  # every change a revision, by the candidate

    # back in the chat: «Tiếp tục» asks the first question still open, (7)
    replies = await world.tap("candidate", resume.action)
    asked = "\n".join(r.text for r in replies)
    assert "(7)" in asked or "Nơi cư trú" in asked, asked


async def test_a_reviewer_opens_the_link_of_xem_and_sees_the_changes(
    driver: Any, world: WebWorld, tmp_path: Path
) -> None:
    folder = artifacts(tmp_path / "screens")
    async with world.db.transaction() as tx:
        record = await tx.dossiers.get(world.ids["dossier"])
        assert record is not None
        changes = [Change(f"answers.{k}", v.upper() if k == "ho_ten" else v)
                   for k, v in PART_1.items() if k.startswith("f.")]  # fmt: skip
        changes = [Change(c.path.replace("answers.f.", "answers."), c.value) for c in changes]
        await tx.dossiers.apply(record, changes, world.ids["candidate"])
    await world.return_with_comment("Ghi rõ nơi sinh theo giấy khai sinh", item=5)
    await world.resubmit([Change("answers.ten_khac", "Hùng Sơn")])
    await load(driver, world.link("reviewer", "review"))
    page = await body(driver)
    assert "Thay đổi từ lần xem trước" in page and "Hùng Sơn" in page
    assert "Ghi rõ nơi sinh theo giấy khai sinh" in page
    # at 360 px the answers came after ~35 flags each with the candidate's «Cách sửa: hồ sơ
    # đang không sửa được; khi được trả lại, anh/chị sửa…» (5 500 px): the flags are counted,
    # folded when many, each links to its item; the comments come first
    source = await asyncio.to_thread(lambda: driver.page_source)
    assert "Cách sửa" not in source and 'href="#muc-1"' in source
    assert page.index("Ghi rõ nơi sinh") < page.index("Kết quả kiểm tra") < page.index("Họ và")
    folded = "return !document.getElementById('kiem-tra').open"
    assert await asyncio.to_thread(driver.execute_script, folded)
    assert page.index("Họ và tên khai sinh") < 1500, page[:1500]
    await shot(driver, folder, "5-reviewer")
    # the same browser, a link tampered with: refused, nothing shown
    await load(driver, world.link("reviewer", "review")[:-3] + "xyz")
    assert "Liên kết không đúng" in await body(driver)
