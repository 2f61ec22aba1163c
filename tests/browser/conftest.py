"""Browser tests: Playwright (Python) driving Debian's Chromium against the app in a real uvicorn process.

The session installs what it needs: Chromium with apt-get when /usr/bin/chromium is missing (Playwright's own
browser download is not used), and axe-core from npm into a cache under .run/. Screenshots and accessibility
reports go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_VERSION = "4.14.1"
CACHE = ROOT / ".run" / "browser-cache"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORTS = ARTIFACTS / "axe"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def install_lock(name: str) -> Iterator[None]:
    """Parallel runners install one at a time (apt and npm do not like company)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )
    if result.returncode != 0:
        pytest.skip(f"cannot install {what}: {' '.join(argv)} failed: {result.stderr[-500:]}")


def apt_install(package: str) -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip(f"{package} is missing and apt-get cannot install it here (needs Debian and root)")
    _run(["apt-get", "update"], package)
    _run(["apt-get", "install", "-y", "--no-install-recommends", package], package)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    with install_lock("chromium"):
        if not CHROMIUM.exists():
            apt_install("chromium")
    if not CHROMIUM.exists():
        pytest.skip("chromium is not at /usr/bin/chromium after installing it")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser build, installed from npm at a pinned version into the cache once."""
    prefix = CACHE / f"axe-core-{AXE_VERSION}"
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    with install_lock("axe"):
        if not script.exists():
            if shutil.which("npm") is None:
                apt_install("npm")
            _run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    f"axe-core@{AXE_VERSION}",
                ],
                f"axe-core {AXE_VERSION}",
            )
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
async def browser(chromium_path) -> AsyncIterator:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser, api_server) -> AsyncIterator:
    """A fresh browser context (no cookies) at desktop width, with the server as base URL. Any CSP violation
    or uncaught script error in the pages fails the test."""
    context = await browser.new_context(base_url=api_server, viewport=DESKTOP, locale="en-GB")
    tab = await context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems  # type: ignore[attr-defined]
    yield tab
    await context.close()
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []


async def check_accessibility(tab, name: str) -> list[dict]:
    """Run axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays strict) and
    fail on serious or critical violations. The full report is kept under test-artifacts/axe/."""
    from playwright.async_api import Error as PlaywrightError

    for attempt in range(3):
        # a click that navigates may still be replacing the document: check the page that stays
        await tab.wait_for_load_state("load")
        try:
            if not await tab.evaluate("typeof window.axe !== 'undefined'"):
                await tab.evaluate(tab.axe_source)  # type: ignore[attr-defined]
            result = await tab.evaluate("""async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
            }""")
            break
        except PlaywrightError as error:
            navigated = "documentElement" in str(error) or "context was destroyed" in str(error)
            if not navigated or attempt == 2:
                raise
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)
    (AXE_REPORTS / f"{name}.json").write_text(json.dumps(result, indent=1))
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {json.dumps(serious, indent=1)}"
    return result


async def snapshot(tab, name: str) -> None:
    """Screenshots at desktop and phone widths; at 360 px nothing may overflow sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await tab.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    await tab.set_viewport_size(PHONE)
    overflow = await tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = await tab.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !e.closest('.table-wrap'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))""")
    await tab.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    await tab.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 360px phone: {wide}"


@pytest.fixture
def a11y(page, axe_source):
    page.axe_source = axe_source  # type: ignore[attr-defined]

    async def check(name: str) -> list[dict]:
        return await check_accessibility(page, name)

    return check
