"""Capture: the request bodies the pipeline would send for an article, made offline.

A *capture* runs the ordinary pipeline (``orchestrator.run``, chunked when ``max_input_tokens`` is
given) against a transport that keeps each request body instead of sending it, so what is captured
is exactly what a live run would ask: same prompt, same instructor request shaping. The Batch API
submits captured bodies; tests hold the offline overhead count (``overhead``) to them.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx2

from summarizer.client import build_engine
from summarizer.config import DEFAULT_MAX_OUTPUT_TOKENS, Mode, Settings
from summarizer.errors import SummarizerError
from summarizer.orchestrator import run

CAPTURE_KEY = "capture-no-key"  # capture never sends anything; the SDK insists on a key


class _Captured(SummarizerError):
    """Raised by the capture transport once it has kept a request body."""


class _CaptureTransport(httpx2.BaseTransport):
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        raise _Captured("request captured, not sent")


@contextlib.contextmanager
def _quiet_instructor() -> Iterator[None]:
    logger = logging.getLogger("instructor")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # its "API call failed" lines are our capture working
    try:
        yield
    finally:
        logger.setLevel(level)


def capture(
    settings: Settings, mode: Mode, texts: Sequence[str], max_input_tokens: int | None = None,
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
) -> list[list[dict[str, Any]]]:  # fmt: skip
    """The first request bodies the pipeline would send for each text (one per chunk), offline."""
    network = _CaptureTransport()
    engine = build_engine(replace(settings, api_key=settings.api_key or CAPTURE_KEY), mode=mode, network=network,
                          max_output_tokens=max_output_tokens)  # fmt: skip
    out: list[list[dict[str, Any]]] = []
    with _quiet_instructor():
        for text in texts:
            network.bodies = []
            with contextlib.suppress(SummarizerError):  # _Captured, or an article the pipeline rejects
                run(engine, text, max_reasks=0, max_input_tokens=max_input_tokens)
            out.append(network.bodies)
    return out

