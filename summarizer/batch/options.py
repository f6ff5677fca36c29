"""The options of a batch run, one frozen object; their defaults are ``summarizer.config``'s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.batch.articles import DEFAULT_PATTERNS
from summarizer.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_OUTPUT_TOKENS,
    DEFAULT_POLL_INTERVAL_S,
    DEFAULT_REASKS,
    DEFAULT_TIMEOUT_S,
    MODE_NAMES,
    Mode,
    Settings,
)

if TYPE_CHECKING:  # the transport (httpx2, tenacity, asyncio) is for runs that send: not for a dry run
    from summarizer import transport


@dataclass(frozen=True)
class Options:
    settings: Settings
    mode: Mode = MODE_NAMES[0]
    concurrency: int = DEFAULT_CONCURRENCY
    strict: bool = False
    max_reasks: int = DEFAULT_REASKS
    max_input_tokens: int | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    retry: transport.RetryPolicy | None = None
    replay: Path | None = None
    record: Path | None = None
    max_cost: float | None = None
    prices_file: Path | None = None
    openai_batch: bool = False
    poll_interval: float = DEFAULT_POLL_INTERVAL_S
    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # file names a directory input is searched for
    redo_stale: bool = False  # run again finished articles made with another model, mode or prompt version
