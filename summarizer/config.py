"""Configuration: the *settings* of a run (model, endpoint, key) and the defaults of every option.

``Settings.from_env()`` reads ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``SUMMARIZER_MODEL``; nothing
else in the package touches ``os.environ``. The key is kept out of ``repr`` so it never reaches a log.
The ``DEFAULT_*`` constants are the one declaration of each option's default; the library's
signatures and the CLI's ``--help`` both import them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

Mode = Literal["tools", "json_schema", "md_json"]
MODE_NAMES: tuple[Mode, ...] = get_args(Mode)  # the first is the default

DEFAULT_TIMEOUT_S = 120.0  # per HTTP request, the whole of it: connect, headers and body
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a response body is never read past this
DEFAULT_MAX_OUTPUT_TOKENS = 4096  # completion cap sent with every request
DEFAULT_REASKS = 2  # re-asks after the first answer when it fails validation
DEFAULT_HTTP_ATTEMPTS = 4  # per request, retries of 429/5xx/timeouts included
DEFAULT_CONCURRENCY = 8  # articles in flight in a batch
DEFAULT_CHUNK_CONCURRENCY = 4  # chunks of one article in flight
DEFAULT_POLL_INTERVAL_S = 30.0  # between Batch API status checks


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            model=env.get("SUMMARIZER_MODEL") or DEFAULT_MODEL,
            base_url=env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            api_key=env.get("OPENAI_API_KEY") or None,
        )

    def with_overrides(
        self, *, model: str | None = None, base_url: str | None = None, api_key: str | None = None
    ) -> Settings:
        return replace(
            self,
            model=model or self.model,
            base_url=base_url or self.base_url,
            api_key=api_key or self.api_key,
        )
