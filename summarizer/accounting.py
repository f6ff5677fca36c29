"""Accounting: the *books* of a call (``CallStats``: HTTP attempts and tokens) and the checks every
successful chat answer passes before anything else reads it.

Books nest: a call tracked inside another (a chunk inside its article, an article inside a batch
ledger) also books into every enclosing ``CallStats`` (a context variable holds the current one, so
concurrent async calls keep separate books), so failed calls are still paid for. A *meter* on any
enclosing books (a batch budget) is asked to reserve each attempt's worst case before it is sent.

``examine`` checks an answer: it must be a JSON chat completion (not an HTML page, not JSON nested too
deeply to read); its usage is validated (negative, non-integer or absurd counts, and more cached
tokens, ``prompt_tokens_details.cached_tokens``, than prompt tokens, are a ``ProviderError``); an
answer without usage is counted offline and marked *estimated*, never free; truncated
(``finish_reason == "length"``) and refused answers fail fast, before instructor re-asks.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx2

from summarizer import tokens
from summarizer.errors import ProviderError, RefusedOutput, SummarizerError, TruncatedOutput, redact
from summarizer.schema import Usage

MAX_TOKENS_PER_CALL = 10_000_000  # a usage count above this is absurd for any model
CAP_SLACK_TOKENS = 64  # completion tokens a server may report past the cap it was sent before it is absurd
MAX_ESTIMATED_CHARS = 4_000_000  # estimates count at most this much text


class Meter(Protocol):
    """A budget that sees every attempt: ``reserve`` before sending (raises to refuse), ``book`` after."""

    def reserve(self, request: httpx2.Request) -> float: ...

    def book(self, reserved: float, usage: Usage) -> None: ...


@dataclass
class CallStats:
    """What one summarise call cost: HTTP attempts and tokens, failed attempts included."""

    label: str = ""
    prompt_version: str = ""
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    estimated: bool = False  # some attempt's usage is an offline estimate (the server reported none)
    parent: CallStats | None = field(default=None, repr=False, compare=False)  # the enclosing books
    meter: Meter | None = field(default=None, repr=False, compare=False)

    def ledgers(self) -> Iterator[CallStats]:
        """These books and every enclosing one, innermost first."""
        cur: CallStats | None = self
        while cur is not None:
            yield cur
            cur = cur.parent


_current: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar("summarizer_call", default=None)


@contextmanager
def tracking(stats: CallStats) -> Iterator[CallStats]:
    outer = _current.get()
    if stats.parent is None and outer is not None and all(s is not stats for s in outer.ledgers()):
        stats.parent = outer
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def current() -> CallStats | None:
    return _current.get()


# --------------------------------------------------------------------------- usage


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ProviderError(f"the server reported an invalid {name}: {value!r} (not a whole number)", hint="")
    if value < 0:
        raise ProviderError(f"the server reported a negative {name}: {value!r}", hint="")
    if value > MAX_TOKENS_PER_CALL:
        raise ProviderError(f"the server reported an absurd {name}: {value!r}", hint="")
    return int(value)


def usage_of(payload: Any) -> Usage | None:
    """The token usage a chat completion (parsed JSON) reports, validated; None when it reports none."""
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if usage is None:
        return None
    if not isinstance(usage, dict):
        raise ProviderError(f"the server reported usage that is not an object: {redact(repr(usage), limit=80)}", hint="")
    prompt = _count(usage.get("prompt_tokens"), "prompt_tokens")
    completion = _count(usage.get("completion_tokens"), "completion_tokens")
    total = _count(usage.get("total_tokens"), "total_tokens") or prompt + completion
    cached = _cached(usage, prompt)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cached_tokens=cached)


def _cached(usage: dict[str, Any], prompt: int) -> int:
    """Prompt tokens served from the prompt cache (``prompt_tokens_details.cached_tokens``; part of ``prompt``)."""
    details = usage.get("prompt_tokens_details")
    if details is None:
        return 0
    if not isinstance(details, dict):
        raise ProviderError(
            f"the server reported prompt_tokens_details that is not an object: {redact(repr(details), limit=80)}", hint=""
        )
    cached = _count(details.get("cached_tokens"), "cached_tokens")
    if cached > prompt:
        raise ProviderError(f"the server reported {cached:,} cached tokens of only {prompt:,} prompt tokens", hint="")
    return cached


_CAP = re.compile(rb'(?<!\\)"max_(?:completion_)?tokens"\s*:\s*(\d+)')


def output_cap(request: httpx2.Request) -> int | None:
    """The completion cap the request asked for (``max_completion_tokens`` or ``max_tokens``).

    Found in the body's bytes rather than by parsing it: this runs for every attempt, and the body is
    ours (a key inside a string value would be preceded by an escaped quote, which the pattern skips).
    """
    found = _CAP.search(request.content)
    return int(found.group(1)) if found else None


def estimate_usage(request: httpx2.Request, answer: str = "") -> Usage:
    """Usage counted offline: the request body as prompt, ``answer`` as completion."""
    try:
        model = str(json.loads(request.content).get("model") or "")
    except (ValueError, AttributeError):
        model = ""
    prompt = tokens.count(request.content[:MAX_ESTIMATED_CHARS].decode("utf-8", "replace"), model or "gpt-4o-mini")
    completion = tokens.count(answer[:MAX_ESTIMATED_CHARS], model or "gpt-4o-mini") if answer else 0
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def _answer_text(payload: dict[str, Any]) -> str:
    try:
        message = payload["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        return "".join(str(c["function"]["arguments"]) for c in calls) or str(message.get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def book(stats: CallStats | None, usage: Usage, estimated: bool) -> None:
    """Book one attempt's usage into ``stats`` and every enclosing books."""
    for books in stats.ledgers() if stats is not None else ():
        books.usage = books.usage + usage
        books.estimated = books.estimated or estimated


def is_chat(request: httpx2.Request) -> bool:
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/chat/completions")


def _payload(request: httpx2.Request, response: httpx2.Response, body: bytes) -> Any:
    """The parsed JSON of a successful chat answer; a ``ProviderError`` when it is not one."""
    host = request.url.host
    try:
        payload = json.loads(body)
    except RecursionError:
        raise ProviderError(f"{host} answered with JSON nested too deeply to read ({len(body):,} bytes)", hint="") from None
    except ValueError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise ProviderError(
            f"{host} answered HTTP {response.status_code} with {kind}, not a chat completion: "
            f"{redact(body[:120].decode('utf-8', 'replace'), limit=80)!r}",
            hint="check that --base-url is the API's root (e.g. ending in /v1), not a web page",
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
        raise ProviderError(f"{host} answered HTTP {response.status_code} with JSON that is not a chat completion", hint="")
    return payload


def examine(request: httpx2.Request, response: httpx2.Response, body: bytes) -> tuple[Usage, bool, SummarizerError | None]:
    """What a successful chat answer cost (usage, whether estimated), and why it must fail, if it must.

    The usage is returned even when the answer fails: it was answered, so it may have been billed.
    """
    try:
        payload = _payload(request, response, body)
    except ProviderError as err:
        return estimate_usage(request, body[:MAX_ESTIMATED_CHARS].decode("utf-8", "replace")), True, err
    try:
        usage = usage_of(payload)
    except ProviderError as err:
        return estimate_usage(request, _answer_text(payload)), True, err
    cap = output_cap(request)
    if usage is not None and cap is not None and usage.completion_tokens > cap + CAP_SLACK_TOKENS:
        absurd = ProviderError(f"the server reported {usage.completion_tokens:,} completion tokens for a cap of {cap:,}",
                               hint="")  # fmt: skip
        return estimate_usage(request, _answer_text(payload)), True, absurd
    estimated = usage is None
    if usage is None:
        usage = estimate_usage(request, _answer_text(payload))
    choices = payload["choices"]
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    if choice.get("finish_reason") == "length":
        return usage, estimated, TruncatedOutput("the model's answer was cut off at its output limit (finish_reason=length)")
    refusal = message.get("refusal") if isinstance(message, dict) else None
    if refusal or choice.get("finish_reason") == "content_filter":
        reason = str(refusal or "content filter")
        return usage, estimated, RefusedOutput(f"the model refused to summarise this article: {reason[:200]}")
    return usage, estimated, None
