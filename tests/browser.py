"""A real browser for the web pages: Debian's Chromium, headless, driven by Selenium through
chromium-driver (tests/test_web_browser.py). One browser per test module; screenshots at
360 px wide go to ``$KND_ARTIFACTS`` (CI: ``artifacts/``) or the test's temporary folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
WIDTH = 360

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    f"--window-size={WIDTH},800",
    "--force-device-scale-factor=1",
    "--lang=vi",
)


def _first(paths: tuple[str, ...]) -> str | None:
    return next((p for p in paths if os.path.exists(p)), None)


def available() -> bool:
    """Whether Chromium, its driver and Selenium are installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return _first(CHROMIUM) is not None and _first(DRIVER) is not None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, 360 px wide."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="knd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = _first(CHROMIUM) or ""
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(_first(DRIVER) or ""), options=options)
    try:
        driver.set_window_size(WIDTH, 800)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def artifacts(fallback: Path) -> Path:
    """Where screenshots go: ``$KND_ARTIFACTS`` when set, else ``fallback``."""
    folder = Path(os.environ.get("KND_ARTIFACTS") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fits(driver: Any) -> tuple[int, int]:
    """(scrollWidth, innerWidth) of the page: no horizontal scroll when the first is at most
    the second."""
    return (
        int(driver.execute_script("return document.documentElement.scrollWidth")),
        int(driver.execute_script("return window.innerWidth")),
    )


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    """The whole page at 360 px wide, as ``name``.png."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    window = min(max(height + 120, 640), 8000)
    driver.set_window_size(WIDTH, window)
    # the window's frame is not the page's: what is still below the view (the footer was cut)
    below = int(driver.execute_script(
        "return document.documentElement.scrollHeight - window.innerHeight"
    ))  # fmt: skip
    if below > 0:
        driver.set_window_size(WIDTH, min(window + below, 8000))
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 800)
    return path
