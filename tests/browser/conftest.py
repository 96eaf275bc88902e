"""A real headless chromium (Debian's, via Selenium) driving the admin served by pytest-django's live_server.

scripts/chromium.sh ensure installs chromium and chromium-driver; the paths are given to Selenium explicitly so
its driver manager never tries to download a browser. Without them the tests skip, except under CI=true, where
they fail: CI must run them. Screenshots land in $NETWEAVE_BROWSER_SHOTS (default: the test's tmp_path).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> None:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        message = f"{CHROMIUM} / {CHROMEDRIVER} missing: run scripts/chromium.sh ensure"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(chromium: None, downloads: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shot(browser: Any, tmp_path: Path) -> Callable[[str], Path]:
    """Save a full-window screenshot; the path is returned (for a person to look at)."""
    folder = Path(os.environ.get("NETWEAVE_BROWSER_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take


@pytest.fixture
def admin_session(browser: Any, live_server: Any, admin_user: Any) -> Callable[[str], None]:
    """Log in through the admin's login page; returns `go(path)` for admin pages."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: "/admin/login/" not in b.current_url)

    def go(path: str) -> None:
        browser.get(f"{live_server.url}{path}")

    return go
