"""Snapshots: pydantic's own validators for our models, without importing pydantic.

A command that calls no model (``eval --lint``, ``eval --predictions``) validated gold files, saved
summaries and reports with pydantic models, and paid for it before doing any work: importing pydantic
(~37 ms here), its plugin loader's ``importlib.metadata`` (~17 ms) and building every model (~20 ms),
about 40% of its start-up. The validation itself is pydantic-core's, a compiled extension that loads on
its own in a few milliseconds. So the *core schema* pydantic builds for each model is shipped as JSON
(``summarizer/data/core_schemas.json``, written by ``scripts/snapshots.py``), and the extension turns it
into a validator directly (the extension loaded on its own: ``summarizer.extensions``).

The entry also holds the model's JSON Schema, so ``summarizer schema`` and the prompts (which show the
model the draft's schema) need no pydantic either.

Same validation, same errors, same JSON: the snapshot is exactly the core schema pydantic made, less
what JSON cannot hold. A model class is replaced by its name and bound, on load, to a *record* class of
that name (``Record``: the model's fields as attributes, no methods); a dataclass by its import path,
bound to the dataclass itself; JSON Schema hooks (``metadata``) are dropped. A model with a Python
validator function cannot be snapshotted (the script refuses it).

A snapshot is used only while it is current: each entry records the SHA-256 of the sources that define
its model and the pydantic and pydantic-core versions that made it. On any difference (an edited
checkout, another pydantic), or when the extension cannot be loaded, ``Adapter`` builds the model with
pydantic instead: slower, same results. ``tests/test_snapshots.py`` holds both paths to the same
results, errors and JSON, and fails when a shipped entry is stale.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from summarizer import extensions

SNAPSHOT_FILE = "core_schemas.json"  # in summarizer/data
NATIVE = "pydantic_core._pydantic_core"
_PACKAGE = Path(__file__).resolve().parent
_MODEL, _DATACLASS = "model:", "dataclass:"  # how a class is written in a snapshot


def location(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a path: ``("positions", 0, "evidence")`` is ``positions[0].evidence``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (the key)"
        else:
            out += ("." if out else "") + str(part)
    return out


class Invalid(ValueError):
    """Data that does not validate; ``errors`` are pydantic's (``errors(include_url=False)``), in its
    order. Its text is the first: ``positions[0].evidence: Field required (and 2 more)``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        where = location(first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{where + ': ' if where else ''}{first['msg']}{more}")
        self.errors = errors


class Record:
    """An instance of a model validated through a snapshot: its fields as attributes, nothing else
    (no pydantic methods). Two records are equal when they are of the same model with equal fields."""

    # The slots pydantic-core sets besides __dict__ (a BaseModel keeps them in slots, out of __dict__).
    __slots__ = ("__dict__", "__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]


@cache
def record_class(name: str) -> type[Record]:
    """The record class standing for the model ``name`` (one per name: records of one model share a class)."""
    return type(name, (Record,), {"__slots__": (), "__module__": __name__})


def pydantic_version() -> str:
    """The installed pydantic's version, read from its ``version.py`` without importing it ("" if unknown)."""
    try:
        spec = importlib.util.find_spec("pydantic")
        origin = spec.origin if spec else None
        text = Path(origin).with_name("version.py").read_text(encoding="utf-8") if origin else ""
    except (ImportError, OSError, ValueError):
        return ""
    found = re.search(r"^VERSION = ['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    return found.group(1) if found else ""


@cache
def _native() -> ModuleType | None:
    """pydantic-core's extension without ``pydantic_core/__init__.py``; its ValidationError is pydantic's."""
    return extensions.load(NATIVE)


def source_digest(sources: tuple[str, ...]) -> str:
    """SHA-256 over the package files ``sources`` (paths relative to the package), "" if one is unreadable."""
    h = hashlib.sha256()
    try:
        for name in sources:
            h.update((_PACKAGE / name).read_bytes())
    except OSError:
        return ""
    return h.hexdigest()


@cache
def _shipped() -> dict[str, Any]:
    try:
        data = json.loads((_PACKAGE / "data" / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- making and binding snapshots


def to_snapshot(schema: Any) -> Any:
    """A core schema as JSON can hold it: classes by name (``model:Name``, ``dataclass:module:Qualname``),
    definition references without the class's ``id()`` pydantic appends (so that the same models
    make the same snapshot in every process), JSON Schema hooks dropped; ``ValueError`` naming what
    cannot be written (e.g. a validator function)."""
    refs: dict[str, str] = {}

    def ref(value: str) -> str:
        if value not in refs:
            name = re.sub(r":\d+$", "", value)
            taken = set(refs.values())
            refs[value] = name if name not in taken else f"{name}#{len(refs)}"
        return refs[value]

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            is_schema = isinstance(node.get("type"), str)  # not a mapping of field names (a field may be "metadata")
            for key, value in node.items():
                if key == "metadata" and is_schema:
                    continue
                if key == "cls" and is_schema and node["type"] in ("model", "dataclass"):
                    kind = node["type"]
                    out[key] = _MODEL + value.__name__ if kind == "model" else f"{_DATACLASS}{value.__module__}:{value.__qualname__}"
                elif key in ("ref", "schema_ref") and is_schema and isinstance(value, str):
                    out[key] = ref(value)
                else:
                    out[key] = walk(value, f"{where}.{key}")
            return out
        if isinstance(node, list | tuple):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if node is None or isinstance(node, str | int | float | bool):
            return node
        raise ValueError(f"{where}: a {type(node).__name__} cannot be written to a snapshot")

    return walk(schema, "schema")


def _bind(node: Any) -> Any:
    """A snapshot made a core schema again: each class name bound to its class."""
    if isinstance(node, dict):
        out = {key: _bind(value) for key, value in node.items()}
        cls = node.get("cls")
        if isinstance(cls, str) and cls.startswith(_MODEL):
            out["cls"] = record_class(cls.removeprefix(_MODEL))
        elif isinstance(cls, str) and cls.startswith(_DATACLASS):
            module, _, qualname = cls.removeprefix(_DATACLASS).partition(":")
            target: Any = sys.modules.get(module) or __import__(module, fromlist=["_"])
            for part in qualname.split("."):
                target = getattr(target, part)
            out["cls"] = target
        return out
    if isinstance(node, list):
        return [_bind(v) for v in node]
    return node


# --------------------------------------------------------------------------- adapters

ADAPTERS: dict[str, Adapter] = {}  # every adapter made, by name (what scripts/snapshots.py writes)


class Adapter:
    """Validation and JSON of one model (or type), from its shipped snapshot while that is current,
    else from pydantic (``build`` returns the model or type; it is called only then, and to write the
    snapshot). ``sources`` are the package files that define it, relative to the package."""

    def __init__(self, name: str, build: Callable[[], Any], sources: tuple[str, ...]) -> None:
        self.name, self.build, self.sources = name, build, sources
        ADAPTERS[name] = self

    def key(self) -> dict[str, str]:
        """What the snapshot must have been made from to be used."""
        native = _native()
        return {
            "sources_sha256": source_digest(self.sources),
            "pydantic": pydantic_version(),
            "pydantic_core": str(getattr(native, "__version__", "")) if native else "",
        }

    def record(self) -> dict[str, Any]:
        """This adapter's entry in ``core_schemas.json`` (made with pydantic): the core schema, and the
        JSON Schema pydantic makes of the model (``model_json_schema()``)."""
        from pydantic import TypeAdapter

        adapter = TypeAdapter(self.build())
        return {**self.key(), "schema": to_snapshot(adapter.core_schema), "json_schema": adapter.json_schema()}

    @cache  # noqa: B019 - one adapter per model, made at import and kept for the process
    def _entry(self) -> dict[str, Any] | None:
        """The shipped entry while it is current (made from these sources and this pydantic), else None."""
        entry = _shipped().get(self.name)
        if _native() is None or not isinstance(entry, dict):
            return None
        key = self.key()
        return entry if all(key[k] and entry.get(k) == key[k] for k in key) else None

    @property
    def from_snapshot(self) -> bool:
        """Whether validation runs from the shipped snapshot (False: pydantic builds the model)."""
        return self._parts()[1]

    @cache  # noqa: B019
    def _parts(self) -> tuple[Any, bool]:
        entry = self._entry()
        if entry is not None:
            return _native().SchemaValidator(_bind(entry["schema"])), True  # type: ignore[union-attr]
        from pydantic import TypeAdapter

        return TypeAdapter(self.build()).validator, False

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the model, as ``model_json_schema()`` makes it (a fresh copy: callers may change it)."""
        entry = self._entry()
        if entry is not None and isinstance(entry.get("json_schema"), dict):
            return json.loads(json.dumps(entry["json_schema"]))  # type: ignore[no-any-return]
        from pydantic import TypeAdapter

        return TypeAdapter(self.build()).json_schema()

    def _validate(self, method: str, data: Any) -> Any:
        validator = self._parts()[0]
        try:
            return getattr(validator, method)(data)
        except ValueError as e:
            errors = getattr(e, "errors", None)
            if not callable(errors):  # pragma: no cover - not a validation error
                raise
            raise Invalid(errors(include_url=False)) from None

    def validate_python(self, data: Any) -> Any:
        """``data`` validated (an instance of the model, or a record of it); ``Invalid`` when it is not valid."""
        return self._validate("validate_python", data)

    def validate_json(self, data: bytes | str) -> Any:
        """The JSON ``data`` validated; ``Invalid`` when it is not valid (or not JSON)."""
        return self._validate("validate_json", data)

    def dump_plain(self, value: Any) -> Any:
        """``value`` as pydantic's ``model_dump(mode="json")`` makes it (a record's fields hold JSON values already)."""
        return plain(value) if isinstance(value, Record) else value.model_dump(mode="json")

    def dump_json(self, value: Any) -> bytes:
        """``value`` as pydantic's ``model_dump_json()`` writes it: compact JSON, fields in order, text
        unescaped UTF-8. A pydantic model instance is written by its own serializer; a record is written
        here (pydantic-core's serializer would import the whole pydantic_core package), in the same
        bytes for the values our models hold (``tests/test_snapshots.py`` compares them)."""
        if isinstance(value, Record):
            return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return type(value).__pydantic_serializer__.to_json(value)  # type: ignore[no-any-return]


def plain(value: Any) -> Any:
    """Records (and lists of them) as dicts and lists, fields in their order; anything else as it is."""
    if isinstance(value, Record):
        return {k: plain(v) for k, v in value.__dict__.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def article_summary() -> Any:
    from summarizer.schema import ArticleSummary

    return ArticleSummary


def draft() -> Any:
    from summarizer.schema import Draft

    return Draft


ARTICLE_SUMMARY = Adapter("ArticleSummary", article_summary, ("schema.py", "config.py"))  # config: Mode
DRAFT = Adapter("Draft", draft, ("schema.py",))
