"""Overhead: the prompt tokens a call adds to its article (instructions, fences, schema), counted offline
without the openai SDK or instructor, so that pricing a run (``batch --dry-run``) imports neither.

The request is built here the way the API receives it: the rendered messages (``prompting.render``)
plus, in ``tools`` mode, the function tool and the forced ``tool_choice``, in ``json_schema`` mode the
``response_format``. In ``md_json`` mode instructor adds a note of its own around our declaration and
a closing user message; its size is ``MD_JSON_FRAMING_TOKENS``. ``tests/test_overhead.py`` holds both
to the request bodies the pipeline really sends (``capture.capture``) for every mode.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from summarizer import prices, prompting, tokens
from summarizer.config import Mode

MD_JSON_FRAMING_TOKENS = 82
"""Tokens instructor's md_json mode adds around our declaration (measured by tests/test_overhead.py)."""
_PROBE = "Probe."


def first_request(article: str, mode: Mode, model: str) -> dict[str, Any]:
    """The first request's messages and schema parts for ``article`` (md_json without instructor's note)."""
    body: dict[str, Any] = {"messages": prompting.render(article, mode), "model": model}
    schema = prompting.brief_schema()
    if mode == "tools":
        parameters = {k: v for k, v in schema.items() if k not in ("title", "description")}
        parameters["required"] = sorted(parameters.get("required", []))
        function = {"name": prompting.BRIEF_NAME, "description": prompting.BRIEF_DESCRIPTION, "parameters": parameters}
        body["tools"] = [{"type": "function", "function": function}]
        body["tool_choice"] = {"type": "function", "function": {"name": prompting.BRIEF_NAME}}
    elif mode == "json_schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": prompting.BRIEF_NAME, "schema": schema}}
    return body


def request_overhead(article: str, mode: Mode, model: str) -> int:
    """Prompt tokens the first request for ``article`` adds to it, as ``prices.request_tokens`` counts."""
    framing = MD_JSON_FRAMING_TOKENS if mode == "md_json" else 0
    return prices.request_tokens(first_request(article, mode, model), model) - tokens.count(article, model) + framing


@cache
def overhead_tokens(model: str, mode: Mode) -> int:
    """Prompt tokens a call adds to its article (for a probe article: the fence's hash varies by a few)."""
    return request_overhead(_PROBE, mode, model)
