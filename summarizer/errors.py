"""Errors raised by summarizer, each with a one-line message, a hint and a documented exit code.

    SummarizerError                 exit 1   base class; anything unexpected
    ├── InputError                  exit 2   missing, empty, binary, non-UTF-8 or directory input; bad usage
    ├── ConfigError                 exit 3   no API key and no replay directory; bad settings
    ├── ProviderError               exit 4   server unreachable, timeouts, HTTP errors after retries
    ├── ValidationFailed            exit 5   the model's output stayed invalid after every re-ask
    ├── OutputRejected              exit 6   the model stopped early or refused
    │   ├── TruncatedOutput                  finish_reason == "length"
    │   └── RefusedOutput                    the model refused to answer
    ├── RecordingError              exit 7   replay miss or stale recording; unwritable record dir
    ├── BudgetExceeded              exit 8   a batch would exceed --max-cost
    └── RegressionDetected          exit 10  the eval gate found scores that moved from the baseline

``EXIT_CODES`` is the one table of exit codes; ``summarizer --help`` and the README are made from it
(a test holds the README to it). Two codes belong to no error: 9, a batch that finished with failed
articles, and 130, an interrupted run.

Messages never contain secrets: the API key is never formatted into any error.
"""

from __future__ import annotations

import re
from typing import Any


class SummarizerError(Exception):
    """Base class. ``str(err)`` is one line; ``err.hint`` says what to do about it."""

    exit_code = 1
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message


class InputError(SummarizerError):
    exit_code = 2
    default_hint = "pass a UTF-8 text file, or - to read standard input"


class ConfigError(SummarizerError):
    exit_code = 3
    default_hint = "set OPENAI_API_KEY (or pass --replay DIR to run offline from recordings)"


class ProviderError(SummarizerError):
    exit_code = 4
    default_hint = "check --base-url / OPENAI_BASE_URL and that the server is up"


class ValidationFailed(SummarizerError):
    """The model's answer failed validation on every attempt; carries the evidence of why."""

    exit_code = 5
    default_hint = "try another --mode or a stronger --model; --strict turns dropped items into this error"

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        usage: dict[str, int] | None = None,
        last_response: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.attempts = attempts
        self.usage = usage or {}
        self.last_response = last_response


class OutputRejected(SummarizerError):
    exit_code = 6


class TruncatedOutput(OutputRejected):
    default_hint = (
        "the answer hit its completion cap: raise --max-output-tokens (if the model allows), "
        "or split the article with --max-input-tokens"
    )


class RefusedOutput(OutputRejected):
    default_hint = "the model declined this article; try another model"


class RecordingError(SummarizerError):
    exit_code = 7
    default_hint = "re-record with --record DIR against a real endpoint, or replay with the settings used when recording"


class BudgetExceeded(SummarizerError):
    exit_code = 8
    default_hint = "raise --max-cost, or price the run first with --dry-run"


class RegressionDetected(SummarizerError):
    exit_code = 10
    default_hint = "if the change is intended, update the baseline report in the same change"


BATCH_PARTIAL_FAILURE_EXIT = 9
INTERRUPTED_EXIT = 130

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "unexpected error",
    2: "bad usage, unreadable input or unwritable output (missing, empty, binary, non-UTF-8; disk full)",
    3: "configuration (no API key and no --replay; no price for --max-cost)",
    4: "provider unreachable or failing after retries",
    5: "validation failed after re-asks (or --strict)",
    6: "truncated or refused output",
    7: "replay miss or recording problem",
    8: "budget exceeded (--max-cost stopped the run; re-run to resume)",
    BATCH_PARTIAL_FAILURE_EXIT: "batch finished with failed articles (their error lines are in the file; re-run)",
    10: "eval regression against the baseline",
    INTERRUPTED_EXIT: "interrupted (a batch results file stays valid; re-run to resume)",
}


def exit_codes_help(codes: tuple[int, ...] | None = None) -> str:
    """The exit codes (all, or ``codes``) as the epilog of a ``--help`` page."""
    shown = codes if codes is not None else tuple(EXIT_CODES)
    return "exit codes:\n" + "\n".join(f"  {code:>3}  {EXIT_CODES[code]}" for code in shown)


def redact(text: str, secret: str | None = None, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters, with ``secret`` and anything key-like masked."""
    if secret and len(secret) >= 8:  # a placeholder key like "ollama" is no secret, and common as a word
        text = text.replace(secret, "***")
    text = re.sub(r"sk-[A-Za-z0-9_\-*]{6,}", "sk-***", text)
    text = re.sub(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]{6,}=*", r"\1***", text)
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
