"""Browser fixtures: the demo clinic site and Debian's Chromium, headless."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.chat_widget import ChatWidget
from tests.support.servers import PROJECT_DIR, AssistantServers, wait_until_up

ARTIFACTS_DIR = PROJECT_DIR / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def demo_site(
    servers: AssistantServers, demo_site_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """demo_site/serve.py on the port the Rasa server allows by CORS, pointed at that server."""
    log_path = tmp_path_factory.mktemp("demo-site") / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "demo_site/serve.py",
                "--port",
                str(demo_site_port),
                "--assistant-url",
                servers.rasa_url,
            ],
            cwd=PROJECT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{demo_site_port}"
    try:
        wait_until_up(f"{url}/index.html", timeout=20, process=process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("the browser tests need Debian's chromium (scripts/test.sh installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def widget(browser: Browser, demo_site: str, servers: AssistantServers) -> Iterator[ChatWidget]:
    """A fresh visitor (empty localStorage) at desktop size."""
    context = browser.new_context(viewport=DESKTOP)
    yield ChatWidget(context.new_page(), demo_site, servers.rasa_url)
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
