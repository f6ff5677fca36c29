"""Results file → tables for analysis: SQLite, one CSV per table, or Parquet (with the ``parquet`` extra).

``export`` streams a batch results file (JSON Lines, ``summarizer.batch`` writes it) line by line into
a fresh SQLite database in a temporary file, then either renames it over the target (``os.replace``:
atomic, so a re-export replaces the old one whole) or dumps each table to ``DIR/<table>.csv`` (or
``.parquet``), each file through a temporary file and a rename. A malformed line stops it before
anything is written (``InputError`` naming ``FILE:N``, exit 2). Memory holds one line at a time plus
the set of ids seen; a later line of an id already seen replaces the earlier one's rows.

The tables (every key starts with ``article_id``, so it also serves as that column's index):

- ``articles``: one row per result line (``id`` is the key): source metadata, run metadata, usage,
  whether it succeeded, its error, how many warnings; ``warnings`` holds their text.
- ``actors`` (key ``article_id, name``).
- one table per category of ``schema.CATEGORY`` (key ``article_id, n``, n the item's index), with a
  column per scalar field of its item model; a list-valued field becomes a link table named after the
  category's first word (``proposal_addressees``, ``risk_affected``, ``support_conditions``), whose
  value column is ``actor`` when the field names actors.
- ``evidence``: the located quotes of every item (key ``article_id, category, n, k``).

All of it is derived from ``CATEGORY`` and the item models, so a new category needs no change here.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from summarizer.categories import CATEGORY
from summarizer.result_lines import ResultsError, records
from summarizer.snapshots import ARTICLE_SUMMARY

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary

Format = Literal["sqlite", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("sqlite", "csv", "parquet")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_SOURCE_FIELDS = ("url", "title", "published", "source")


class ExportError(ResultsError):
    """The results file cannot be exported (malformed line, unreadable file, unwritable target)."""

    default_hint = "pass a results file of summarizer batch; nothing was written"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQLite type)
    key: tuple[str, ...]
    indexes: tuple[str, ...] = ()  # single columns indexed beside the key (actor names)
    links: dict[str, str] = field(default_factory=dict)  # column -> "table(column)" it refers to

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _item_fields(schema: dict[str, Any], category: str) -> dict[str, Any]:
    """The fields of the category's item model, in order, from ``ArticleSummary``'s JSON Schema
    ``schema`` (read from its snapshot: no pydantic import)."""
    name = schema["properties"][category]["items"]["$ref"].rpartition("/")[2]
    return dict(schema["$defs"][name]["properties"])


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


@dataclass(frozen=True)
class _CategoryLayout:
    category: str
    scalars: tuple[str, ...]  # item fields that are columns of the category's table
    lists: dict[str, tuple[str, str]]  # list field -> (link table, value column)


def _layout(schema: dict[str, Any], category: str) -> _CategoryLayout:
    scalars: list[str] = []
    lists: dict[str, tuple[str, str]] = {}
    for name, field_schema in _item_fields(schema, category).items():
        if name == "evidence":
            continue
        if field_schema.get("type") == "array":
            value = "actor" if name in CATEGORY[category].references else _singular(name)
            lists[name] = (f"{_singular(category.split('_')[0])}_{name}", value)
        else:
            scalars.append(name)
    return _CategoryLayout(category, tuple(scalars), lists)


_SCHEMA = ARTICLE_SUMMARY.json_schema()
LAYOUTS: tuple[_CategoryLayout, ...] = tuple(_layout(_SCHEMA, c) for c in CATEGORY)

_ARTICLE = {"article_id": "articles(id)"}


def _tables() -> tuple[Table, ...]:
    # fmt: off
    tables = [
        Table("articles", (
            ("id", "TEXT"), ("article_sha256", "TEXT"), ("ok", "INTEGER"), ("error_type", "TEXT"), ("error_message", "TEXT"),
            ("url", "TEXT"), ("title", "TEXT"), ("published", "TEXT"), ("source", "TEXT"), ("source_json", "TEXT"),
            ("summary", "TEXT"), ("model", "TEXT"), ("base_url_host", "TEXT"), ("mode", "TEXT"), ("prompt_version", "TEXT"),
            ("schema_version", "TEXT"), ("package_version", "TEXT"), ("attempts", "INTEGER"), ("prompt_tokens", "INTEGER"),
            ("completion_tokens", "INTEGER"), ("cached_tokens", "INTEGER"), ("total_tokens", "INTEGER"),
            ("usage_estimated", "INTEGER"), ("cost", "REAL"), ("latency_ms", "INTEGER"), ("chunks", "INTEGER"),
            ("created_at", "TEXT"), ("warnings", "INTEGER"),
        ), key=("id",)),
        Table("warnings", (("article_id", "TEXT"), ("n", "INTEGER"), ("text", "TEXT")), key=("article_id", "n"), links=_ARTICLE),
        Table("actors", (("article_id", "TEXT"), ("name", "TEXT"), ("type", "TEXT"), ("affiliation", "TEXT")),
              key=("article_id", "name"), indexes=("name",), links=_ARTICLE),
    ]
    # fmt: on
    for layout in LAYOUTS:
        refs = CATEGORY[layout.category].references
        tables.append(Table(
            layout.category, (("article_id", "TEXT"), ("n", "INTEGER"), *((name, "TEXT") for name in layout.scalars)),
            key=("article_id", "n"), indexes=tuple(name for name in layout.scalars if name in refs), links=_ARTICLE,
        ))  # fmt: skip
        for link, value in layout.lists.values():
            tables.append(Table(
                link, (("article_id", "TEXT"), ("n", "INTEGER"), ("k", "INTEGER"), (value, "TEXT")),
                key=("article_id", "n", "k"), indexes=(value,) if value == "actor" else (), links=_ARTICLE,
            ))  # fmt: skip
    tables.append(Table("evidence", (
        ("article_id", "TEXT"), ("category", "TEXT"), ("n", "INTEGER"), ("k", "INTEGER"),
        ("quote", "TEXT"), ("start", "INTEGER"), ("end", "INTEGER"), ("match", "TEXT"),
    ), key=("article_id", "category", "n", "k"), links=_ARTICLE))  # fmt: skip
    return tuple(tables)


TABLES: tuple[Table, ...] = _tables()
TABLE: dict[str, Table] = {t.name: t for t in TABLES}


def ddl(table: Table) -> list[str]:
    """The statements that create ``table`` and its indexes."""
    columns = [f"{_q(name)} {kind}" + (" NOT NULL" if name in table.key else "")
               + (f" REFERENCES {table.links[name]}" if name in table.links else "") for name, kind in table.columns]  # fmt: skip
    columns.append(f"PRIMARY KEY ({', '.join(map(_q, table.key))})")
    out = [f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(columns) + "\n)"]
    out += [f"CREATE INDEX {_q(f'{table.name}_{c}')} ON {_q(table.name)} ({_q(c)})" for c in table.indexes]
    return out


# --------------------------------------------------------------------------- rows of one line

Rows = dict[str, list[tuple[Any, ...]]]


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _source(value: Any) -> tuple[str | None, ...]:
    """url, title, published, source and the rest as JSON, from a line's ``source`` (normally an object)."""
    if value is None:
        return (None,) * (len(_SOURCE_FIELDS) + 1)
    if not isinstance(value, dict):
        return (*(None,) * len(_SOURCE_FIELDS), _text(value))
    rest = {k: v for k, v in value.items() if k not in _SOURCE_FIELDS}
    return (*(_text(value.get(k)) for k in _SOURCE_FIELDS), json.dumps(rest, ensure_ascii=False) if rest else None)


def rows(record: dict[str, Any], s: ArticleSummary | None = None) -> Rows:
    """The rows of every table for one result line (``s``: its summary, if already validated)."""
    out: Rows = {t.name: [] for t in TABLES}
    aid: str = record["id"]
    article: dict[str, Any] = dict(zip(("url", "title", "published", "source", "source_json"),
                                       _source(record.get("source")), strict=True))  # fmt: skip
    article.update(id=aid, article_sha256=record["article_sha256"], ok=int(record["ok"] is True),
                   cost=_number(record.get("cost")))  # fmt: skip
    if record["ok"] is not True:
        error = record["error"]
        article.update(error_type=_text(error.get("type")), error_message=_text(error.get("message")))
        out["articles"].append(tuple(article.get(name) for name in TABLE["articles"].names))
        return out
    if s is None:
        s = ARTICLE_SUMMARY.validate_python(record["summary"])
    m, u = s.metadata, s.metadata.usage
    if article["cost"] is None:
        article["cost"] = _number(record["summary"]["metadata"].get("cost"))  # a newer writer's metadata may carry it
    article.update(
        summary=s.summary, model=m.model, base_url_host=m.base_url_host, mode=m.mode, prompt_version=m.prompt_version,
        schema_version=m.schema_version, package_version=m.package_version, attempts=m.attempts,
        prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens, cached_tokens=u.cached_tokens,
        total_tokens=u.total_tokens, usage_estimated=int(m.usage_estimated), latency_ms=m.latency_ms,
        chunks=m.chunks, created_at=m.created_at, warnings=len(m.warnings),
    )
    out["articles"].append(tuple(article.get(name) for name in TABLE["articles"].names))
    out["warnings"] = [(aid, n, text) for n, text in enumerate(m.warnings)]
    seen: set[str] = set()
    for actor in s.actors:
        if actor.name not in seen:  # the checks keep names unique; a hand-edited file keeps the first
            seen.add(actor.name)
            out["actors"].append((aid, actor.name, actor.type, actor.affiliation))
    for layout in LAYOUTS:
        for n, item in enumerate(getattr(s, layout.category)):
            out[layout.category].append((aid, n, *(getattr(item, f) for f in layout.scalars)))
            for name, (link, _) in layout.lists.items():
                out[link] += [(aid, n, k, value) for k, value in enumerate(getattr(item, name))]
            out["evidence"] += [(aid, layout.category, n, k, e.quote, e.start, e.end, e.match)
                                for k, e in enumerate(item.evidence)]  # fmt: skip
    return out


# --------------------------------------------------------------------------- reading the results file


# --------------------------------------------------------------------------- writing


@dataclass
class Exported:
    """What an export wrote."""

    target: Path
    format: Format
    articles: int = 0  # result lines exported (distinct ids)
    ok: int = 0
    failed: int = 0
    replaced: int = 0  # lines whose id an earlier line had: the later one wins
    counts: dict[str, int] = field(default_factory=dict)  # rows per table


def _build(results: Path, db: Path) -> Exported:
    """Stream ``results`` into a new SQLite database at ``db``."""
    report = Exported(target=db, format="sqlite")
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = OFF")  # a private temp file: renamed into place only when whole
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        for table in TABLES:
            for statement in ddl(table):
                con.execute(statement)
        inserts = {t.name: f"INSERT INTO {_q(t.name)} VALUES ({', '.join('?' * len(t.columns))})" for t in TABLES}
        seen: set[str] = set()
        for record, summary in records(results):
            aid = record["id"]
            if aid in seen:
                report.replaced += 1
                con.execute("DELETE FROM articles WHERE id = ?", (aid,))
                for table in TABLES[1:]:
                    con.execute(f"DELETE FROM {_q(table.name)} WHERE article_id = ?", (aid,))
            seen.add(aid)
            for name, values in rows(record, summary).items():
                if values:
                    con.executemany(inserts[name], values)
        con.execute("COMMIT")
        for table in TABLES:
            report.counts[table.name] = con.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchone()[0]
        report.articles = report.counts["articles"]
        report.ok = con.execute("SELECT count(*) FROM articles WHERE ok = 1").fetchone()[0]
        report.failed = report.articles - report.ok
    finally:
        con.close()
    return report


def _write_fail(target: Path, e: OSError) -> ExportError:
    return ExportError(f"cannot write {target}: {e.strerror or e}", hint="pick a writable -o path; nothing was replaced")


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``target``, renamed over it when the block succeeds, else removed."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as e:
        raise _write_fail(target, e) from e
    tmp = Path(name)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # keep the old file's permissions
        except FileNotFoundError:
            mode = 0o666 & ~_umask()  # what a plain open() would have made
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _write_fail(target, e) from e
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _dump_csv(con: sqlite3.Connection, table: Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(table.names)
        order = ", ".join(map(_q, table.key))
        writer.writerows(con.execute(f"SELECT * FROM {_q(table.name)} ORDER BY {order}"))


def _dump_parquet(con: sqlite3.Connection, table: Table, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"TEXT": pa.string(), "INTEGER": pa.int64(), "REAL": pa.float64()}
    arrow_schema = pa.schema([(name, kinds[kind]) for name, kind in table.columns])
    cursor = con.execute(f"SELECT * FROM {_q(table.name)} ORDER BY {', '.join(map(_q, table.key))}")
    with pq.ParquetWriter(path, arrow_schema) as writer:
        while batch := cursor.fetchmany(10_000):
            writer.write_table(pa.Table.from_pylist([dict(zip(table.names, row, strict=True)) for row in batch],
                                                    schema=arrow_schema))  # fmt: skip


def format_of(output: Path, requested: Format | None = None) -> Format:
    """The format ``-o`` asks for: SQLite for a ``.db``/``.sqlite`` name, else a directory of CSV files."""
    if requested is not None:
        return requested
    return "sqlite" if output.suffix.lower() in SQLITE_SUFFIXES else "csv"


def export(results: Path, output: Path, fmt: Format | None = None) -> Exported:
    """Export the batch results file ``results`` to ``output`` (see the module docstring)."""
    fmt = format_of(output, fmt)
    if fmt == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ExportError("Parquet export needs pyarrow",
                              hint="install the extra: pip install 'summarizer[parquet]' (uv sync --extra parquet)") from None  # fmt: skip
    if fmt == "sqlite":
        if output.is_dir():
            raise ExportError(f"{output} is a directory", hint="-o takes a .db/.sqlite file, or a directory for CSV")
        if not output.parent.is_dir():
            raise ExportError(f"{output.parent} does not exist", hint="create the directory first")
        with _replacing(output) as tmp:
            report = _build(results, tmp)
        report.target = output
        return report
    if output.exists() and not output.is_dir():
        raise ExportError(f"{output} is a file, not a directory",
                          hint="-o takes a directory for CSV or Parquet files, or a .db/.sqlite file for SQLite")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="summarizer-export-") as scratch:
        db = Path(scratch) / "export.db"
        report = _build(results, db)  # a malformed line stops here, before any file is written
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _write_fail(output, e) from e
        con = sqlite3.connect(db)
        try:
            dump = _dump_csv if fmt == "csv" else _dump_parquet
            for table in TABLES:
                with _replacing(output / f"{table.name}.{fmt}") as tmp:
                    dump(con, table, tmp)
        finally:
            con.close()
    report.target, report.format = output, fmt
    return report
