from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from openai_server import OpenAIServer

from summarizer.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "nato_rejects_missile_interception.txt"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as s:
        yield s


@pytest.fixture
def settings(server: OpenAIServer) -> Settings:
    return Settings(model="test-model", base_url=server.base_url, api_key="sk-test-secret-123456")


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, server: OpenAIServer) -> OpenAIServer:
    """The test server as the environment's endpoint, with a test key and model."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("SUMMARIZER_MODEL", "test-model")
    return server


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"test-model": {"input": 1.0, "output": 2.0}}}))
    return path


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """Headless Chromium (Debian's chromium + chromium-driver, which .ci/run installs)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield browser
    finally:
        browser.quit()
