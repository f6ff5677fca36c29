"""The HTTP layer under the SDK, layer by layer, over in-process transports (``httpx2.MockTransport``).

Retrying: which answers and errors are retried, how long it waits (the server's Retry-After, else
backoff), and what it hands back when the attempts run out. Accounting: every attempt counted and
booked, on every enclosing ledger and meter. Bounded: the response-size and whole-request limits.
The waits are recorded by replacing the sleep, never timed; nothing here opens a socket.
"""

from __future__ import annotations

import asyncio
import contextvars
import gzip
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from openai_server import Answer, completion

from summarizer.accounting import CallStats, tracking
from summarizer.errors import ProviderError, TruncatedOutput
from summarizer.schema import Usage
from summarizer.transport import (
    MAX_RETRY_AFTER_S,
    AccountingTransport,
    AsyncAccountingTransport,
    AsyncBoundedTransport,
    AsyncRetryingTransport,
    BoundedTransport,
    Limits,
    RequestDeadline,
    RetryingTransport,
    RetryPolicy,
)

URL = "http://127.0.0.1:9/v1/chat/completions"
BODY = {"model": "test-model", "messages": [{"role": "user", "content": "Poland said no."}], "max_tokens": 100}
POLICY = RetryPolicy(attempts=4, initial_wait=3.0, max_wait=20.0)


def chat_request(body: dict[str, Any] | None = None) -> httpx2.Request:
    return httpx2.Request("POST", URL, json=body or BODY)


def answer(usage: dict[str, Any] | None = None, finish_reason: str = "stop") -> httpx2.Response:
    data = completion(BODY, Answer({"summary": "s"}))
    data["choices"][0]["finish_reason"] = finish_reason
    if usage is None:
        data.pop("usage", None)
    else:
        data["usage"] = usage
    return httpx2.Response(200, json=data)


class Script:
    """An inner transport that plays a list of outcomes (a response, or an exception to raise) in order."""

    def __init__(self, *outcomes: httpx2.Response | BaseException) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx2.Request] = []
        self.closed = False

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def sync(self) -> httpx2.MockTransport:
        script = self

        class Mock(httpx2.MockTransport):
            def close(self) -> None:
                script.closed = True

        return Mock(self)

    def async_(self) -> httpx2.MockTransport:
        script = self

        async def handler(request: httpx2.Request) -> httpx2.Response:
            return script(request)

        class Mock(httpx2.MockTransport):
            async def aclose(self) -> None:
                script.closed = True

        return Mock(handler)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between retries, sync and async, recorded instead of slept."""
    waits: list[float] = []
    real_async_sleep = asyncio.sleep

    async def async_sleep(seconds: float, *args: Any) -> Any:
        waits.append(seconds)
        return await real_async_sleep(0)

    monkeypatch.setattr(time, "sleep", waits.append)  # tenacity's sync sleep calls time.sleep
    monkeypatch.setattr(asyncio, "sleep", async_sleep)  # and its async one asyncio.sleep
    return waits


def retrying(script: Script, policy: RetryPolicy = POLICY) -> RetryingTransport:
    return RetryingTransport(script.sync(), policy)


def fault(status: int, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, headers=headers, json={"error": {"message": f"status {status}"}})


# --------------------------------------------------------------------------- retrying


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_until_an_answer(status: int, sleeps: list[float]) -> None:
    script = Script(fault(status), fault(status), answer())
    response = retrying(script).handle_request(chat_request())
    assert response.status_code == 200 and len(script.requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int, sleeps: list[float]) -> None:
    script = Script(fault(status), answer())
    assert retrying(script).handle_request(chat_request()).status_code == status
    assert len(script.requests) == 1 and sleeps == []


def test_when_attempts_run_out_the_last_answer_is_handed_back(sleeps: list[float]) -> None:
    script = Script(fault(500), fault(502), fault(503), fault(429), answer())
    response = retrying(script).handle_request(chat_request())
    assert response.status_code == 429  # the fourth and last attempt's answer, not an exception
    assert len(script.requests) == POLICY.attempts == 4 and len(sleeps) == 3


@pytest.mark.parametrize("error", [httpx2.ReadTimeout("slow"), httpx2.ConnectError("refused"),
                                   httpx2.RemoteProtocolError("dropped")], ids=["timeout", "network", "protocol"])  # fmt: skip
def test_timeouts_and_connection_errors_are_retried(error: Exception, sleeps: list[float]) -> None:
    script = Script(error, answer())
    assert retrying(script).handle_request(chat_request()).status_code == 200
    assert len(script.requests) == 2


def test_a_connection_error_on_every_attempt_is_raised_as_itself(sleeps: list[float]) -> None:
    script = Script(*[httpx2.ConnectError(f"refused {i}") for i in range(4)])
    with pytest.raises(httpx2.ConnectError, match="refused 3"):
        retrying(script).handle_request(chat_request())
    assert len(script.requests) == 4


def test_other_errors_are_not_retried(sleeps: list[float]) -> None:
    script = Script(ProviderError("bad answer", hint=""), answer())
    with pytest.raises(ProviderError, match="bad answer"):
        retrying(script).handle_request(chat_request())
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "200", "Retry-After": "7"}, 0.2),  # the precise header wins
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "-5"}, 0.0),  # never a negative wait
        ({"Retry-After": "3600"}, MAX_RETRY_AFTER_S),  # never an absurd one
    ],
)
def test_the_wait_before_a_retry_is_the_servers_retry_after(headers: dict[str, str], wait: float,
                                                            sleeps: list[float]) -> None:  # fmt: skip
    script = Script(fault(429, headers), answer())
    assert retrying(script).handle_request(chat_request()).status_code == 200
    assert sleeps == [pytest.approx(wait)]


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, {"Retry-After": ""}],
                         ids=["none", "http-date", "empty"])  # fmt: skip
def test_without_a_usable_retry_after_the_wait_backs_off_exponentially_with_jitter(headers: dict[str, str],
                                                                                   sleeps: list[float]) -> None:  # fmt: skip
    script = Script(fault(503, headers), fault(503, headers), fault(503, headers), answer())
    retrying(script).handle_request(chat_request())
    # wait n (from 0) is initial_wait * 2**n plus up to 1 s of jitter, at most max_wait
    assert len(sleeps) == 3
    for n, wait in enumerate(sleeps):
        assert POLICY.initial_wait * 2**n <= wait <= min(POLICY.initial_wait * 2**n + 1, POLICY.max_wait)


def test_backoff_never_waits_longer_than_max_wait(sleeps: list[float]) -> None:
    policy = RetryPolicy(attempts=8, initial_wait=1.0, max_wait=5.0)
    script = Script(*[fault(500)] * 7, answer())
    retrying(script, policy).handle_request(chat_request())
    assert len(sleeps) == 7 and max(sleeps) == 5.0 and sleeps[-1] == 5.0


def test_a_retry_after_on_an_error_that_is_not_retried_is_ignored(sleeps: list[float]) -> None:
    script = Script(fault(400, {"Retry-After": "2"}))
    assert retrying(script).handle_request(chat_request()).status_code == 400
    assert sleeps == []


def test_a_single_attempt_policy_never_retries(sleeps: list[float]) -> None:
    script = Script(fault(503), answer())
    assert retrying(script, RetryPolicy(attempts=1)).handle_request(chat_request()).status_code == 503
    assert len(script.requests) == 1 and sleeps == []


async def test_async_retrying_follows_the_same_policy(sleeps: list[float]) -> None:
    script = Script(fault(429, {"Retry-After": "2"}), httpx2.ConnectError("refused"), answer())
    transport = AsyncRetryingTransport(script.async_(), POLICY)
    response = await transport.handle_async_request(chat_request())
    assert response.status_code == 200 and len(script.requests) == 3
    assert sleeps[0] == 2.0 and POLICY.initial_wait * 2 <= sleeps[1] <= POLICY.initial_wait * 2 + 1
    script = Script(fault(500), fault(500), fault(500), fault(504))
    response = await AsyncRetryingTransport(script.async_(), POLICY).handle_async_request(chat_request())
    assert response.status_code == 504 and len(script.requests) == 4


async def test_async_retrying_does_not_retry_client_errors(sleeps: list[float]) -> None:
    script = Script(fault(404), answer())
    response = await AsyncRetryingTransport(script.async_(), POLICY).handle_async_request(chat_request())
    assert response.status_code == 404 and len(script.requests) == 1


def test_a_retrying_layer_keeps_its_policy() -> None:
    assert RetryingTransport(Script().sync(), POLICY).policy == POLICY
    assert AsyncRetryingTransport(Script().async_(), POLICY).policy == POLICY


def test_closing_a_layer_closes_the_one_below() -> None:
    for make in (lambda s: RetryingTransport(s.sync(), POLICY), lambda s: AccountingTransport(s.sync()),
                 lambda s: BoundedTransport(s.sync(), Limits())):  # fmt: skip
        script = Script()
        make(script).close()
        assert script.closed


async def test_closing_an_async_layer_closes_the_one_below() -> None:
    for make in (lambda s: AsyncRetryingTransport(s.async_(), POLICY), lambda s: AsyncAccountingTransport(s.async_()),
                 lambda s: AsyncBoundedTransport(s.async_(), Limits())):  # fmt: skip
        script = Script()
        await make(script).aclose()
        assert script.closed


# --------------------------------------------------------------------------- accounting


class Budget:
    """A meter that reserves a fixed amount per attempt and records what it was told."""

    def __init__(self, amount: float = 1.0, refuse: bool = False) -> None:
        self.amount, self.refuse = amount, refuse
        self.requests: list[httpx2.Request] = []
        self.events: list[tuple[str, float, Usage | None]] = []

    def reserve(self, request: httpx2.Request) -> float:
        self.requests.append(request)
        if self.refuse:
            raise ProviderError("budget spent", hint="")
        self.events.append(("reserve", self.amount, None))
        return self.amount

    def book(self, reserved: float, usage: Usage) -> None:
        self.events.append(("book", reserved, usage))


USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}


def test_each_attempt_is_counted_and_its_usage_booked_on_every_enclosing_ledger() -> None:
    outer, inner = CallStats(label="batch"), CallStats(label="article")
    script = Script(answer(USAGE), answer({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}))
    transport = AccountingTransport(script.sync())
    with tracking(outer), tracking(inner):
        transport.handle_request(chat_request())
        transport.handle_request(chat_request())
    for stats in (outer, inner):
        assert stats.attempts == 2 and not stats.estimated
        assert stats.usage == Usage(prompt_tokens=130, completion_tokens=35, total_tokens=165)


def test_an_answer_without_usage_is_booked_at_an_estimate_marked_estimated() -> None:
    stats = CallStats()
    with tracking(stats):
        AccountingTransport(Script(answer(None)).sync()).handle_request(chat_request())
    assert stats.attempts == 1 and stats.estimated and stats.usage.prompt_tokens > 0


def test_an_attempt_that_got_no_answer_is_still_counted_and_booked_at_an_estimate() -> None:
    stats = CallStats()
    with tracking(stats), pytest.raises(httpx2.ReadTimeout):
        AccountingTransport(Script(httpx2.ReadTimeout("slow")).sync()).handle_request(chat_request())
    assert stats.attempts == 1 and stats.estimated and stats.usage.prompt_tokens > 0
    assert stats.usage.completion_tokens == 0


def test_a_failed_check_is_raised_and_the_answer_still_booked_as_reported() -> None:
    stats = CallStats()
    with tracking(stats), pytest.raises(TruncatedOutput):
        AccountingTransport(Script(answer(USAGE, finish_reason="length")).sync()).handle_request(chat_request())
    assert stats.attempts == 1 and not stats.estimated
    assert stats.usage == Usage(prompt_tokens=120, completion_tokens=30, total_tokens=150)


def test_error_answers_and_other_endpoints_are_passed_through_unexamined() -> None:
    stats = CallStats()
    not_json = httpx2.Response(503, text="<html>busy</html>")
    redirect = httpx2.Response(300, text="<html>choose</html>")
    models = httpx2.Response(200, text="not json either")
    script = Script(not_json, redirect, models)
    transport = AccountingTransport(script.sync())
    with tracking(stats):
        assert transport.handle_request(chat_request()).text == "<html>busy</html>"
        assert transport.handle_request(chat_request()).text == "<html>choose</html>"
        assert transport.handle_request(httpx2.Request("GET", "http://127.0.0.1:9/v1/models")).text == "not json either"
    assert stats.attempts == 3 and stats.usage == Usage() and not stats.estimated


def test_an_unreadable_chat_answer_is_a_provider_error_booked_at_an_estimate() -> None:
    stats = CallStats()
    with tracking(stats), pytest.raises(ProviderError, match="not a chat completion"):
        AccountingTransport(Script(httpx2.Response(200, text="<html>login</html>")).sync()).handle_request(chat_request())
    assert stats.estimated and stats.usage.prompt_tokens > 0


def test_outside_any_ledger_an_attempt_is_simply_passed_through() -> None:
    response = AccountingTransport(Script(answer(USAGE)).sync()).handle_request(chat_request())
    assert response.status_code == 200 and response.json()["usage"] == USAGE


def test_every_meter_reserves_before_the_attempt_and_books_what_it_cost() -> None:
    near, far = Budget(2.5), Budget(4.0)
    script = Script(answer(USAGE))
    request = chat_request()
    with tracking(CallStats(meter=far)), tracking(CallStats(meter=near)):
        AccountingTransport(script.sync()).handle_request(request)
    assert near.requests == far.requests == [request]  # the worst case is reckoned from the request itself
    booked = Usage(prompt_tokens=120, completion_tokens=30, total_tokens=150)
    assert near.events == [("reserve", 2.5, None), ("book", 2.5, booked)]
    assert far.events == [("reserve", 4.0, None), ("book", 4.0, booked)]


def test_a_meter_that_refuses_stops_the_attempt_and_releases_what_others_reserved() -> None:
    granted, refusing = Budget(3.0), Budget(refuse=True)
    script = Script(answer(USAGE))
    stats = CallStats(meter=granted)
    with tracking(CallStats(meter=refusing)), tracking(stats), pytest.raises(ProviderError, match="budget spent"):
        AccountingTransport(script.sync()).handle_request(chat_request())
    assert script.requests == []  # never sent
    assert granted.events == [("reserve", 3.0, None), ("book", 3.0, Usage())]  # released, nothing spent
    assert stats.attempts == 0


async def test_async_accounting_books_like_sync() -> None:
    budget, stats = Budget(1.5), CallStats()
    stats.meter = budget
    script = Script(answer(USAGE), answer(None), httpx2.ConnectError("refused"))
    transport = AsyncAccountingTransport(script.async_())
    with tracking(stats):
        await transport.handle_async_request(chat_request())
        assert not stats.estimated
        await transport.handle_async_request(chat_request())
        with pytest.raises(httpx2.ConnectError):
            await transport.handle_async_request(chat_request())
    assert stats.attempts == 3 and stats.estimated and stats.usage.prompt_tokens > 120
    assert [e[0] for e in budget.events] == ["reserve", "book"] * 3


async def test_async_accounting_raises_a_failed_check() -> None:
    stats = CallStats()
    transport = AsyncAccountingTransport(Script(answer(USAGE, finish_reason="length")).async_())
    with tracking(stats), pytest.raises(TruncatedOutput):
        await transport.handle_async_request(chat_request())
    assert stats.usage.total_tokens == 150


# --------------------------------------------------------------------------- bounded


def bounded(script: Script, **limits: Any) -> BoundedTransport:
    return BoundedTransport(script.sync(), Limits(**limits))


def streamed(body: bytes, chunk: int = 10, **headers: str) -> httpx2.Response:
    """A response whose body arrives in pieces, with no Content-Length."""
    return httpx2.Response(200, headers=headers, content=iter([body[i : i + chunk] for i in range(0, len(body), chunk)]))


def astreamed(body: bytes, chunk: int = 10) -> httpx2.Response:
    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(body), chunk):
            yield body[i : i + chunk]

    return httpx2.Response(200, content=pieces())


def test_a_body_up_to_the_limit_is_read_whole() -> None:
    chunked = streamed(b"x" * 100, **{"Transfer-Encoding": "chunked"})
    response = bounded(Script(chunked), max_response_bytes=100).handle_request(chat_request())
    assert response.status_code == 200 and response.content == b"x" * 100
    assert "transfer-encoding" not in response.headers and response.headers["content-length"] == "100"


def test_a_body_past_the_limit_stops_the_read_with_a_provider_error() -> None:
    with pytest.raises(ProviderError, match=r"127\.0\.0\.1 sent a response larger than 1,000 bytes; stopped reading") as caught:
        bounded(Script(streamed(b"x" * 1001, chunk=100)), max_response_bytes=1000).handle_request(chat_request())
    assert caught.value.hint == ""  # the server was reached: the usual "check --base-url" hint would mislead


def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    consumed: list[bytes] = []

    def body() -> Iterator[bytes]:
        consumed.append(b"read")
        yield b"x" * 10

    response = httpx2.Response(200, headers={"Content-Length": "5000"}, content=body())
    with pytest.raises(ProviderError, match="larger than 4,000 bytes"):
        bounded(Script(response), max_response_bytes=4000).handle_request(chat_request())
    assert consumed == []
    ok = httpx2.Response(200, headers={"Content-Length": "4000"}, content=b"y" * 4000)
    assert bounded(Script(ok), max_response_bytes=4000).handle_request(chat_request()).content == b"y" * 4000


def test_a_compressed_body_is_handed_up_decoded_with_headers_to_match() -> None:
    raw = json.dumps({"ok": True, "pad": "z" * 500}).encode()
    response = httpx2.Response(200, headers={"Content-Encoding": "gzip", "X-Request-Id": "r1"}, content=gzip.compress(raw))
    out = bounded(Script(response)).handle_request(chat_request())
    assert out.content == raw and out.json()["ok"] is True
    assert "content-encoding" not in out.headers and out.headers["content-length"] == str(len(raw))
    assert out.headers["x-request-id"] == "r1" and out.request.url == URL


def test_the_limit_counts_the_decoded_body() -> None:
    raw = b"a" * 5000
    response = httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(raw))
    with pytest.raises(ProviderError, match="larger than 4,999 bytes"):
        bounded(Script(response), max_response_bytes=4999).handle_request(chat_request())


def test_a_request_past_its_deadline_is_abandoned_with_a_timeout() -> None:
    release, entered = threading.Event(), threading.Event()
    workers: list[threading.Thread] = []

    def stuck(request: httpx2.Request) -> httpx2.Response:
        workers.append(threading.current_thread())
        entered.set()
        release.wait(30)
        return answer()

    transport = BoundedTransport(httpx2.MockTransport(stuck), Limits(timeout=0.05))
    try:
        with pytest.raises(RequestDeadline, match=r"127\.0\.0\.1 did not finish answering within 0\.05s") as caught:
            transport.handle_request(chat_request())
        assert isinstance(caught.value, httpx2.TimeoutException)  # so the retrying layer retries it
        assert caught.value.request.url == URL
        # the abandoned request's thread is a daemon, named for what it does: it never holds the process open
        assert entered.wait(30)  # (on a loaded machine it may start only after the deadline)
        assert [(w.name, w.daemon) for w in workers] == [("summarizer-request", True)]
    finally:
        release.set()


def test_errors_below_are_raised_as_they_are() -> None:
    with pytest.raises(httpx2.ConnectError, match="refused"):
        bounded(Script(httpx2.ConnectError("refused"))).handle_request(chat_request())


def test_the_request_runs_with_the_callers_context() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(var.get())
        return answer()

    var.set("the caller")
    BoundedTransport(httpx2.MockTransport(handler), Limits()).handle_request(chat_request())
    assert seen == ["the caller"]


def async_bounded(script: Script, **limits: Any) -> AsyncBoundedTransport:
    return AsyncBoundedTransport(script.async_(), Limits(**limits))


async def test_async_bounded_reads_up_to_the_limit_and_no_further() -> None:
    ok = await async_bounded(Script(astreamed(b"x" * 100)), max_response_bytes=100).handle_async_request(chat_request())
    assert ok.content == b"x" * 100
    with pytest.raises(ProviderError, match="larger than 99 bytes"):
        await async_bounded(Script(astreamed(b"x" * 100)), max_response_bytes=99).handle_async_request(chat_request())
    declared = httpx2.Response(200, headers={"Content-Length": "100"}, content=b"x" * 100)
    with pytest.raises(ProviderError, match="larger than 99 bytes"):
        await async_bounded(Script(declared), max_response_bytes=99).handle_async_request(chat_request())


async def test_async_bounded_hands_up_a_decoded_body() -> None:
    raw = b'{"ok": true}'
    response = httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(raw))
    out = await async_bounded(Script(response)).handle_async_request(chat_request())
    assert out.content == raw and "content-encoding" not in out.headers and out.request.url == URL


async def test_async_request_past_its_deadline_is_a_timeout() -> None:
    async def stuck(request: httpx2.Request) -> httpx2.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    transport = AsyncBoundedTransport(httpx2.MockTransport(stuck), Limits(timeout=0.05))
    with pytest.raises(RequestDeadline, match="did not finish answering within 0.05s"):
        await transport.handle_async_request(chat_request())


def test_the_layers_together_retry_a_deadline_and_book_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()  # the first attempt hangs until the wait before the retry
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: (sleeps.append(seconds), release.set()))

    def handler(request: httpx2.Request) -> httpx2.Response:
        release.wait(30)
        return answer(USAGE)

    stack = RetryingTransport(
        AccountingTransport(BoundedTransport(httpx2.MockTransport(handler), Limits(timeout=0.05))), POLICY
    )
    stats = CallStats()
    try:
        with tracking(stats):
            assert stack.handle_request(chat_request()).status_code == 200
    finally:
        release.set()
    assert stats.attempts == 2 and stats.estimated  # the abandoned attempt is booked at an estimate
    assert len(sleeps) == 1
