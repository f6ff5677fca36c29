"""Shortcuts: the two places where this package steps past a dependency's public surface for per-call
CPU, kept in this one private module and applied only to the dependency versions they were tested
against (``TESTED``); with any other version the stock path runs. ``benchmarks/batch_throughput.py``
measures what they save; ``tests/test_shortcuts.py`` and ``tests/test_client_direct.py`` prove they
change nothing else.

1. *Direct chat create* (openai): the SDK's ``chat.completions.create`` walks every request through
   its TypedDict annotations (``maybe_transform``) to rename aliased keys and encode files and dates.
   The chat parameters we send have none of those: the walk returns its input unchanged, yet it was
   the largest single CPU cost per call. So requests go through the SDK's public ``post`` with the
   body as built; auth, base URL, timeouts, response parsing and errors stay the SDK's. A streaming
   request still takes the SDK's own path.
2. *Remembered async-validator checks* (instructor): instructor walks the response model's whole
   type tree on every request to reject async validators; for a given class the answer never
   changes, so a *passed* check is remembered. A class that fails the check still fails on every
   call. Instructor calls the check through its own module and through a name imported from it
   (``instructor.v2.core.patch``), so each of those is replaced, once per process.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import openai

TESTED: dict[str, tuple[str, ...]] = {"openai": ("3.3.", "3.57."), "instructor": ("1.17.",)}
"""Version prefixes each shortcut was verified against; anything else takes the stock path."""


@cache
def tested(package: str) -> bool:
    """Whether the installed ``package`` is a version the shortcut for it was verified against."""
    try:
        installed = version(package)
    except PackageNotFoundError:
        return False
    return installed.startswith(TESTED[package])


# --------------------------------------------------------------------------- 1. direct chat create

_CHAT_PATH = "/chat/completions"
_SECURITY = {"bearer_auth": True}


def _request_options(
    extra_headers: Any, extra_query: Any, extra_body: Any, timeout: Any
) -> dict[str, Any]:  # fmt: skip
    options: dict[str, Any] = {"security": _SECURITY}
    if extra_headers is not None:
        options["headers"] = extra_headers
    if extra_query is not None:
        options["params"] = extra_query
    if extra_body is not None:
        options["extra_json"] = extra_body
    if not isinstance(timeout, openai.NotGiven):
        options["timeout"] = timeout
    return options


def direct_chat_create(sdk: openai.OpenAI | openai.AsyncOpenAI) -> Callable[..., Any]:
    """``sdk.chat.completions.create`` minus the per-call TypedDict walk (see the module docstring)."""
    from openai.types.chat import ChatCompletion

    if isinstance(sdk, openai.AsyncOpenAI):
        async_sdk = sdk

        async def acreate(
            *, extra_headers: Any = None, extra_query: Any = None, extra_body: Any = None,
            timeout: Any = openai.NOT_GIVEN, **body: Any,
        ) -> Any:  # fmt: skip
            if body.get("stream"):
                return await async_sdk.chat.completions.create(
                    **body, extra_headers=extra_headers, extra_query=extra_query, extra_body=extra_body, timeout=timeout
                )
            options = _request_options(extra_headers, extra_query, extra_body, timeout)
            return await async_sdk.post(_CHAT_PATH, body=body, cast_to=ChatCompletion, options=options)  # type: ignore[call-overload]

        return acreate
    sync_sdk = sdk

    def create(
        *, extra_headers: Any = None, extra_query: Any = None, extra_body: Any = None,
        timeout: Any = openai.NOT_GIVEN, **body: Any,
    ) -> Any:  # fmt: skip
        if body.get("stream"):
            return sync_sdk.chat.completions.create(
                **body, extra_headers=extra_headers, extra_query=extra_query, extra_body=extra_body, timeout=timeout
            )
        options = _request_options(extra_headers, extra_query, extra_body, timeout)
        return sync_sdk.post(_CHAT_PATH, body=body, cast_to=ChatCompletion, options=options)  # type: ignore[call-overload]

    return create


def chat_create(sdk: openai.OpenAI | openai.AsyncOpenAI) -> Callable[..., Any]:
    """The ``create`` to hand instructor: the direct one for a tested openai, the SDK's own otherwise."""
    if tested("openai"):
        return direct_chat_create(sdk)
    return sdk.chat.completions.create


# --------------------------------------------------------------------------- 2. remembered validator checks


def remember_async_validator_checks() -> bool:
    """Install the remembering check for a tested instructor; returns whether it is in place."""
    if not tested("instructor"):
        return False
    try:
        from instructor.v2.core import patch as patch_module
        from instructor.v2.validation import async_validators as module
    except ImportError:  # moved or dropped: nothing to remember
        return False
    original = module.reject_async_validators
    if getattr(original, "remembers", False):
        return True
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    def remembering(response_model: Any) -> None:
        model = response_model
        if isinstance(model, type) and model in passed:
            return
        original(model)  # raises for a model with async validators: nothing is remembered then
        if isinstance(model, type):
            passed.add(model)

    remembering.remembers = True  # type: ignore[attr-defined]
    for holder in (module, patch_module):
        if getattr(holder, "reject_async_validators", None) is original:
            holder.reject_async_validators = remembering  # type: ignore[attr-defined]
    return True
