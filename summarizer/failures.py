"""Failures: what a failed model call becomes. A *failure* is either salvaged (the last answer was
schema-valid and only grounding or references were wrong, so ``checks.finalize`` can still drop and
repair) or translated into the one ``SummarizerError`` that says what went wrong, raised ``from`` the
SDK's or instructor's exception so nothing is swallowed.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2
import openai
import pydantic
from instructor.core import IncompleteOutputException, InstructorRetryException

from summarizer.accounting import CallStats
from summarizer.checks import finalize
from summarizer.errors import ProviderError, SummarizerError, TruncatedOutput, ValidationFailed, redact
from summarizer.schema import Draft
from summarizer.transport import RequestDeadline


def raw_answer(completion: Any) -> str | None:
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


def _salvage(err: InstructorRetryException, article: str, stats: CallStats, strict: bool) -> Draft:
    """The last answer, when it is schema-valid and only grounding/references failed."""

    def failure(reason: str) -> ValidationFailed:
        return ValidationFailed(
            f"the model's answer was still invalid after {stats.attempts} attempt(s): {reason}",
            attempts=stats.attempts,
            usage=stats.usage.model_dump(),
            last_response=err.last_completion,
        )

    raw = raw_answer(err.last_completion)
    try:
        draft = Draft.model_validate_json(raw or "")
    except pydantic.ValidationError:
        raise failure(_last_error(err)) from err
    if strict:
        try:
            finalize(draft, article, strict=True)
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


def _network(err: Exception, host: str, attempts: int) -> ProviderError | None:
    """What the server did, from the HTTP client's exception under the SDK's, or None."""
    cause = _find_cause(err, (httpx2.TransportError,))
    tries = f"(after {attempts} attempt(s))"
    if isinstance(cause, RequestDeadline):
        return ProviderError(f"{host} did not finish answering within --timeout {tries}: {cause}",
                             hint="raise --timeout if the model is slow, or check the server")  # fmt: skip
    if isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout):
        return ProviderError(f"cannot reach {host} {tries}")  # the default hint: check --base-url
    if isinstance(cause, httpx2.TimeoutException):
        return ProviderError(f"{host} stopped sending before its answer was complete {tries}",
                             hint="raise --timeout if the model is slow, or check the server")  # fmt: skip
    if isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError):
        return ProviderError(f"{host} closed the connection before its answer was complete {tries}", hint="")
    return None


def _status(err: openai.APIStatusError, host: str, model: str, attempts: int, secret: str | None) -> ProviderError:
    """An HTTP error answer: the server was reached, so no hint points at the base URL."""
    code = err.code if isinstance(err.code, str) else ""
    if code == "context_length_exceeded" or "maximum context length" in err.message:
        return ProviderError(
            f"the article is too long for {model}'s context window ({host} answered HTTP {err.status_code}: "
            f"{redact(err.message, secret, limit=120)})",
            hint="split it into chunks with --max-input-tokens N (e.g. 4000)",
        )
    if isinstance(err, openai.AuthenticationError):
        return ProviderError(f"{host} rejected the API key (HTTP 401): {redact(err.message, secret, limit=120)}",
                             hint="check OPENAI_API_KEY")  # fmt: skip
    if isinstance(err, openai.NotFoundError):
        return ProviderError(f"{host} answered HTTP 404: {redact(err.message, secret, limit=120)}",
                             hint="check --model (and that the base URL ends where the API starts, e.g. /v1)")  # fmt: skip
    return ProviderError(f"{host} answered HTTP {err.status_code} after {attempts} attempt(s): "
                         f"{redact(err.message, secret)}", hint="")  # fmt: skip


def _translate(err: Exception, host: str, model: str, stats: CallStats, secret: str | None) -> SummarizerError:
    own = _find_cause(err, (SummarizerError,))
    if isinstance(own, SummarizerError):
        return own
    if isinstance(err, IncompleteOutputException):
        return TruncatedOutput("the model's answer was cut off at its output limit (finish_reason=length)")
    if isinstance(err, openai.APIStatusError):
        return _status(err, host, model, stats.attempts, secret)
    network = _network(err, host, stats.attempts)
    if network is not None:
        return network
    if isinstance(err, openai.APITimeoutError):
        return ProviderError(f"{host} did not answer in time (after {stats.attempts} attempt(s))")
    if isinstance(err, openai.APIConnectionError):
        return ProviderError(f"cannot reach {host} (after {stats.attempts} attempt(s))")
    return SummarizerError(f"unexpected failure: {type(err).__name__}: {redact(str(err), secret)}")


def handle(
    err: Exception, *, article: str, stats: CallStats, host: str, model: str, secret: str | None, strict: bool
) -> Draft:  # fmt: skip
    """Salvage a validation failure, or raise the one error that says what went wrong."""
    cause = _find_cause(err, (SummarizerError, openai.APIError))
    if isinstance(err, InstructorRetryException) and cause is None:
        return _salvage(err, article, stats, strict)
    raise _translate(cause or err, host, model, stats, secret) from err
