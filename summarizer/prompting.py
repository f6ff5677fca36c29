"""Prompts: the templates in ``prompts/`` rendered into chat messages by a pure function.

The templates live in the repository's top-level ``prompts/`` folder; the wheel carries them as
``summarizer/prompts/`` (hatch's ``force-include`` in ``pyproject.toml``). ``_prompts_dir()`` finds
them either way: the packaged folder next to this module when it exists (an installed wheel), else
``<repo>/prompts`` (a source checkout, including the editable install ``uv sync`` makes).

``render(article, mode)`` returns the messages for one article; the same article always yields the
same messages, which is what lets a recorded exchange be replayed. The article is untrusted data: it
is fenced by markers whose tag is derived from the article's own hash, so text inside it cannot close
the fence. The static part (instructions, and in ``md_json`` the declared type) comes first and is the
same for every article, so a provider's prompt cache can serve it.

What the model reads of the schema is compact (``brief_schema``): no titles, no ``$defs``, and only
short field notes (``HINTS``) for what no rule in ``system.txt`` says, so every rule is stated once. ``tools`` and ``json_schema`` send that schema; ``md_json`` states the
same type as a short TypeScript-like ``declaration`` in the instructions instead of a pretty-printed
JSON Schema. ``prompt_version()`` is a short hash of the templates, the schema and the declaration,
so any change to what the model reads is visible in metadata and in recordings.

Both start from the draft's JSON Schema (``Draft.model_json_schema()``), read from the draft's
snapshot while it is current (``summarizer.snapshots``), so pricing a run offline (``batch --dry-run``)
does not import pydantic; otherwise pydantic makes it as before.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from summarizer.config import Mode
from summarizer.errors import SummarizerError
from summarizer.snapshots import DRAFT

_TEMPLATES = ("system.txt", "user.txt")
BRIEF_NAME = "ArticleBrief"
BRIEF_DESCRIPTION = "The brief."
HINTS: dict[str, str] = {
    "summary": "Neutral gist, 1-3 sentences.",
    "actors.name": "Short canonical name as used in the text, e.g. 'NATO', 'Jens Stoltenberg'.",
    "actors.affiliation": "For a person: the state or organisation they speak for; else null.",
    "positions.topic": "Short noun phrase.",
    "positions.statement": "One-sentence paraphrase of the view.",
    "proposals.addressees": "Those asked to act.",
    "risks.affected": "Those exposed.",
    "support_commitments.conditions": "Limits and conditions stated, e.g. 'no direct NATO involvement'.",
}
"""The field notes the model reads with the schema (path ``list.field``): the short form of the pydantic
descriptions in ``schema.py`` (which document the output schema) that no rule in ``system.txt`` states."""


def _prompts_dir() -> Path:
    """The template folder: ``summarizer/prompts`` in a wheel, ``<repo>/prompts`` in a checkout.

    A folder counts only if it holds the templates: an old checkout may keep a leftover
    ``summarizer/prompts/__pycache__`` after the templates moved out.
    """
    package = Path(__file__).resolve().parent
    candidates = (package / "prompts", package.parent / "prompts")
    for folder in candidates:
        if all((folder / name).is_file() for name in _TEMPLATES):
            return folder
    raise SummarizerError(
        "prompt templates not found (looked in " + " and ".join(str(c) for c in candidates) + ")",
        hint="reinstall summarizer, or run it from a checkout that has the top-level prompts/ folder",
    )


@cache
def _template(name: str) -> str:
    return (_prompts_dir() / name).read_text(encoding="utf-8")


_DROPPED = frozenset({"title", "$defs", "additionalProperties", "minItems"})
"""Schema keys the model does not need: labels, indirection, and what the rules state or validation
enforces (extra keys are refused and empty evidence re-asked whatever the schema says)."""


def _compact(node: Any, defs: dict[str, Any], path: str) -> Any:
    """``node`` with ``$ref`` inlined, labels dropped, and the descriptions of ``HINTS`` only."""
    if isinstance(node, list):
        return [_compact(item, defs, path) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _compact(defs[node["$ref"].rsplit("/", 1)[-1]], defs, path)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key == "description":
            continue
        if key == "properties":
            prefix = f"{path}." if path else ""
            out[key] = {name: _field(field, defs, prefix + name) for name, field in value.items()}
        else:
            out[key] = _compact(value, defs, path)
    return out


def _field(node: Any, defs: dict[str, Any], path: str) -> Any:
    out = _compact(node, defs, path)
    return {**out, "description": HINTS[path]} if path in HINTS else out


def _draft_schema() -> dict[str, Any]:
    """``Draft.model_json_schema()``, from its snapshot while current (``summarizer.snapshots``)."""
    return DRAFT.json_schema()


@cache
def _brief_schema() -> dict[str, Any]:
    full = _draft_schema()
    schema: dict[str, Any] = _compact(full, full.get("$defs", {}), "")
    return {"title": BRIEF_NAME, "description": BRIEF_DESCRIPTION, **schema}


def brief_schema() -> dict[str, Any]:
    """The JSON Schema of the brief as the model reads it in ``tools`` and ``json_schema`` modes."""
    copy: dict[str, Any] = json.loads(json.dumps(_brief_schema()))  # callers may mutate it
    return copy


def _ts(node: dict[str, Any], indent: str) -> str:
    if "enum" in node:
        return "|".join(f"'{v}'" for v in node["enum"])
    if "anyOf" in node:
        return "|".join(_ts(option, indent) for option in node["anyOf"])
    kind = node.get("type")
    if kind == "array":
        return _ts(node["items"], indent) + "[]"
    if kind == "object":
        inner = indent + " "
        lines = []
        for name, field in node["properties"].items():
            note = f" // {field['description']}" if "description" in field else ""
            lines.append(f"{inner}{name}: {_ts(field, inner)};{note}")
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    return {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}.get(str(kind), "null")


@cache
def declaration() -> str:
    """The brief as a TypeScript-like type: what ``md_json`` states instead of a JSON Schema."""
    return f"type {BRIEF_NAME} = " + _ts(_brief_schema(), "")


DECLARED_SCHEMA: dict[str, Any] = {"title": BRIEF_NAME, "description": "declared above"}
"""What ``md_json``'s response model shows as its schema: a pointer to the declaration."""


@cache
def _system(mode: Mode) -> str:
    text = _template("system.txt").strip()
    if mode == "md_json":
        text += f"\n\n{declaration()}"  # instructor adds that the answer is JSON of this type, in a ```json block
    return text


def render(article: str, mode: Mode = "tools") -> list[dict[str, str]]:
    """The chat messages that ask for a brief of ``article`` (the static instructions first)."""
    delimiter = hashlib.sha256(article.encode("utf-8")).hexdigest()[:8]
    user = Template(_template("user.txt")).substitute(article=article, delimiter=delimiter)
    return [
        {"role": "system", "content": _system(mode)},
        {"role": "user", "content": user.strip()},
    ]


@cache
def prompt_version() -> str:
    digest = hashlib.sha256()
    for name in _TEMPLATES:
        digest.update(_template(name).encode("utf-8"))
    digest.update(json.dumps(_brief_schema(), sort_keys=True).encode("utf-8"))
    digest.update(declaration().encode("utf-8"))
    return digest.hexdigest()[:12]
