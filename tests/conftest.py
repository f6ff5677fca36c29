from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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
