"""Settings: the one place that reads the environment.

``Settings.from_env()`` reads ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``SUMMARIZER_MODEL``; nothing
else in the package touches ``os.environ``. The key is kept out of ``repr`` so it never reaches a log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


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
