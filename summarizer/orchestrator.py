"""The orchestrator: one article in, one validated ``ArticleSummary`` out. The only place that does so.

``summarize`` and ``asummarize`` share every step but the network call:

1. ``prepare``: check the input, render the prompt, open the call's books (``CallStats``);
2. the instructor call with ``ArticleBrief`` as response model, validated against the article
   (``checks.grounded_in``; not instructor's ``context=``, which would also template the prompt),
   so ungrounded quotes and unknown actors are re-asked with the precise error;
3. ``settle``: on success, or when re-asks run out with a schema-valid last answer, ``checks.finalize``
   locates evidence and repairs or drops (with warnings); everything else becomes one
   ``SummarizerError`` raised ``from`` the original.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import pydantic
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException

from summarizer import __version__, prompting, transport
from summarizer.checks import ArticleBrief, finalize, grounded_in
from summarizer.client import DEFAULT_TIMEOUT_S, Engine, build_engine
from summarizer.config import Settings
from summarizer.errors import (
    InputError,
    ProviderError,
    SummarizerError,
    TruncatedOutput,
    ValidationFailed,
)
from summarizer.schema import ArticleSummary, Draft, Mode, RunMetadata

DEFAULT_REASKS = 2


@dataclass
class _Call:
    article: str
    messages: list[dict[str, str]]
    stats: transport.CallStats
    started: float


def check_article(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"article must be text (str), got {type(text).__name__}")
    if not text.strip():
        raise InputError("the article is empty")
    if "\x00" in text:
        raise InputError("the article looks binary (it contains NUL characters)")
    return text


def _prepare(text: object, label: str) -> _Call:
    article = check_article(text)
    stats = transport.CallStats(label=label, prompt_version=prompting.prompt_version())
    return _Call(article, prompting.render(article), stats, time.monotonic())


def _request(engine: Engine, call: _Call, max_reasks: int) -> dict[str, Any]:
    return {
        "model": engine.settings.model,
        "messages": call.messages,
        "response_model": ArticleBrief,
        "max_retries": max_reasks,  # instructor: re-asks after the first attempt
    }


def _metadata(engine: Engine, call: _Call, warnings: list[str], chunks: int = 1) -> RunMetadata:
    return RunMetadata(
        model=engine.settings.model,
        base_url_host=engine.base_url_host,
        mode=engine.mode,
        prompt_version=call.stats.prompt_version,
        article_sha256=hashlib.sha256(call.article.encode("utf-8")).hexdigest(),
        attempts=call.stats.attempts,
        usage=call.stats.usage,
        latency_ms=int((time.monotonic() - call.started) * 1000),
        warnings=warnings,
        chunks=chunks,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
    )


def _raw_answer(completion: Any) -> str | None:
    """The JSON text of a chat completion's answer, whatever the mode."""
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError):
        return None
    if message.tool_calls:
        return str(message.tool_calls[0].function.arguments)
    content = message.content or ""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", content, re.DOTALL)
    return fenced.group(1) if fenced else content


def _last_error(err: InstructorRetryException) -> str:
    attempts = getattr(err, "failed_attempts", None) or []
    text = str(attempts[-1].exception) if attempts else str(err)
    lines = [line.strip() for line in text.splitlines() if line.strip() and "errors.pydantic.dev" not in line]
    return " ".join(lines)[:300] or "invalid output"


def _salvage(err: InstructorRetryException, call: _Call, strict: bool) -> Draft:
    """The last answer, when it is schema-valid and only grounding/references failed."""

    def failure(reason: str) -> ValidationFailed:
        return ValidationFailed(
            f"the model's answer was still invalid after {call.stats.attempts} attempt(s): {reason}",
            attempts=call.stats.attempts,
            usage=call.stats.usage.model_dump(),
            last_response=err.last_completion,
        )

    raw = _raw_answer(err.last_completion)
    try:
        draft = Draft.model_validate_json(raw or "")
    except pydantic.ValidationError:
        raise failure(_last_error(err)) from err
    if strict:
        try:
            finalize(draft, call.article, strict=True)
        except ValidationFailed as precise:
            raise failure(str(precise)) from err
    return draft


def _find_cause(err: BaseException, types: tuple[type[Exception], ...]) -> Exception | None:
    """The first exception of ``types`` in ``err``'s cause chain (instructor and the SDK wrap ours)."""
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, types):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def _translate(err: Exception, engine: Engine, call: _Call) -> SummarizerError:
    own = _find_cause(err, (SummarizerError,))
    if isinstance(own, SummarizerError):
        return own
    host = engine.base_url_host
    if isinstance(err, IncompleteOutputException):
        return TruncatedOutput("the model's answer was cut off at its output limit (finish_reason=length)")
    if isinstance(err, openai.APITimeoutError):
        return ProviderError(f"{host} did not answer in time (after {call.stats.attempts} attempt(s))")
    if isinstance(err, openai.APIConnectionError):
        return ProviderError(f"cannot reach {host} (after {call.stats.attempts} attempt(s))")
    if isinstance(err, openai.AuthenticationError):
        return ProviderError(f"{host} rejected the API key (HTTP 401)", hint="check OPENAI_API_KEY")
    if isinstance(err, openai.APIStatusError):
        return ProviderError(
            f"{host} answered HTTP {err.status_code} after {call.stats.attempts} attempt(s): "
            f"{_short(err.message, engine.settings.api_key)}"
        )
    return SummarizerError(f"unexpected failure: {type(err).__name__}: {_short(str(err), engine.settings.api_key)}")


def _short(text: str, secret: str | None) -> str:
    if secret:
        text = text.replace(secret, "***")
    text = re.sub(r"sk-[A-Za-z0-9_\-*]{6,}", "sk-***", text)
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:197] + "..."


def _settle(engine: Engine, call: _Call, draft: Draft, strict: bool) -> ArticleSummary:
    content, warnings = finalize(draft, call.article, strict=strict)
    return ArticleSummary(**content, metadata=_metadata(engine, call, warnings))


def _handle(err: Exception, engine: Engine, call: _Call, strict: bool) -> Draft:
    """Salvage a validation failure, or raise the one error that says what went wrong."""
    cause = _find_cause(err, (SummarizerError, openai.APIError))
    if isinstance(err, InstructorRetryException) and cause is None:
        return _salvage(err, call, strict)
    raise _translate(cause or err, engine, call) from err


def run(engine: Engine, text: object, *, strict: bool = False, max_reasks: int = DEFAULT_REASKS, label: str = "") -> ArticleSummary:
    """Summarise with a ready ``Engine`` (sync)."""
    call = _prepare(text, label)
    with transport.tracking(call.stats), grounded_in(call.article):
        try:
            draft: Draft = engine.client.chat.completions.create(**_request(engine, call, max_reasks))
        except Exception as err:
            draft = _handle(err, engine, call, strict)
    return _settle(engine, call, draft, strict)


async def arun(
    engine: Engine, text: object, *, strict: bool = False, max_reasks: int = DEFAULT_REASKS, label: str = ""
) -> ArticleSummary:
    """Summarise with a ready async ``Engine``."""
    call = _prepare(text, label)
    with transport.tracking(call.stats), grounded_in(call.article):
        try:
            draft: Draft = await engine.client.chat.completions.create(**_request(engine, call, max_reasks))
        except Exception as err:
            draft = _handle(err, engine, call, strict)
    return _settle(engine, call, draft, strict)


def _engine(
    *, is_async: bool, model: str | None, base_url: str | None, api_key: str | None, mode: Mode,
    client: Any, replay: str | Path | None, record: str | Path | None, timeout: float,
    settings: Settings | None,
) -> Engine:  # fmt: skip
    if isinstance(client, Engine):
        return client
    resolved = (settings or Settings.from_env()).with_overrides(model=model, base_url=base_url, api_key=api_key)
    return build_engine(
        resolved,
        mode=mode,
        is_async=is_async,
        replay=Path(replay) if replay is not None else None,
        record=Path(record) if record is not None else None,
        timeout=timeout,
        openai_client=client,
    )


def summarize(
    text: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    mode: Mode = "tools",
    client: Engine | openai.OpenAI | None = None,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    replay: str | Path | None = None,
    record: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    settings: Settings | None = None,
) -> ArticleSummary:
    """Summarise one article into a validated, source-grounded ``ArticleSummary``.

    Options left as None come from the environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
    ``SUMMARIZER_MODEL``). ``client`` may be a ready ``openai.OpenAI`` (or an ``Engine``) to reuse.
    Raises a ``SummarizerError`` subclass on failure.
    """
    engine = _engine(
        is_async=False, model=model, base_url=base_url, api_key=api_key, mode=mode, client=client,
        replay=replay, record=record, timeout=timeout, settings=settings,
    )  # fmt: skip
    return run(engine, text, strict=strict, max_reasks=max_reasks)


async def asummarize(
    text: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    mode: Mode = "tools",
    client: Engine | openai.AsyncOpenAI | None = None,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    replay: str | Path | None = None,
    record: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    settings: Settings | None = None,
) -> ArticleSummary:
    """Async ``summarize``; same options, same result."""
    engine = _engine(
        is_async=True, model=model, base_url=base_url, api_key=api_key, mode=mode, client=client,
        replay=replay, record=record, timeout=timeout, settings=settings,
    )  # fmt: skip
    return await arun(engine, text, strict=strict, max_reasks=max_reasks)

