"""Report: the typed, versioned result of one eval run (``EvalReport``), as written by ``eval --json``.

A *report* holds the micro-averaged and per-category counts and scores, attribute accuracy on matched
pairs, grounding counts, token use, provenance of the responses used, a bootstrap interval for micro
F1, and one entry per document. Its JSON is the contract that baselines are kept in: the field order
below is the key order written, and a document's ``error`` is left out when there is none. Readers
ignore fields they do not know, so a report written by a newer version of the same ``version`` loads.
Rendering lives in ``views`` and ``html_report``, the baseline gate in ``gate``.

The parts are frozen dataclasses, made by keyword; reports are read and written through ``REPORT``
(pydantic's validation and JSON of them, from a snapshot: ``summarizer.snapshots``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from summarizer.errors import InputError
from summarizer.evaluation.matching import Counts
from summarizer.snapshots import Adapter, Invalid

Source = Literal["replay", "predictions", "live"]


@dataclass(frozen=True, kw_only=True)
class Scores:
    """Counts with precision, recall and F1 rounded to 4 places; all 1.0 when gold and prediction are both empty."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, c: Counts) -> Scores:
        if c.tp + c.fp + c.fn == 0:
            return cls(tp=0, fp=0, fn=0, precision=1.0, recall=1.0, f1=1.0)
        precision = c.tp / (c.tp + c.fp) if c.tp + c.fp else 0.0
        recall = c.tp / (c.tp + c.fn) if c.tp + c.fn else 0.0
        f1 = 2 * c.tp / (2 * c.tp + c.fp + c.fn)
        return cls(tp=c.tp, fp=c.fp, fn=c.fn, precision=round(precision, 4), recall=round(recall, 4), f1=round(f1, 4))


@dataclass(frozen=True, kw_only=True)
class AttributeAccuracy:
    """How often one attribute (e.g. ``positions.stance``) agrees with gold on matched pairs; 1.0 with no pairs."""

    pairs: int
    correct: int
    accuracy: float


@dataclass(frozen=True, kw_only=True)
class Grounding:
    """Predicted evidence quotes by how they were located; ``not_found`` includes quotes dropped as unlocated."""

    quotes: int = 0
    exact: int = 0
    normalized: int = 0
    fuzzy: int = 0
    not_found: int = 0


@dataclass(frozen=True, kw_only=True)
class Tokens:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0


@dataclass(frozen=True, kw_only=True)
class Bootstrap:
    """95% percentile interval of micro F1 over ``samples`` resamplings of the documents (``seed`` fixed)."""

    low: float
    high: float
    samples: int
    seed: int


Value = str | list[str] | None


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One field of a matched pair that disagrees: what the prediction says and what gold says
    (None, left out of the JSON, for a role nobody fills, e.g. ``raised_by`` of the article's own analysis)."""

    predicted: Value = None
    gold: Value = None


@dataclass(frozen=True, kw_only=True)
class ItemRef:
    """An item by its place in its list (``positions[3]``) and its gist, for people to read."""

    index: int
    label: str
    optional: bool = False  # gold items (and a second labelling's items) only


@dataclass(frozen=True, kw_only=True)
class Pair:
    """A matched pair: its similarity, how far its evidence overlaps, and the fields that disagree
    (stance, status, support_type, and actor roles such as ``actor``, ``addressees``, ``raised_by``)."""

    predicted: ItemRef
    gold: ItemRef
    similarity: float
    evidence_overlap: float  # characters both sides' evidence covers / characters either covers (0-1)
    differences: dict[str, Difference]


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One category of one document, item by item."""

    matched: list[Pair]
    missed: list[ItemRef]  # gold items nothing matched (optional ones are not penalised)
    spurious: list[ItemRef]  # predicted items that match no gold item


@dataclass(frozen=True, kw_only=True)
class DocumentEntry:
    """One document's scores; ``error`` (why there was no prediction) is absent from the JSON when None."""

    id: str
    categories: dict[str, Scores]  # keyed by ``schema.CATEGORIES``
    micro: Scores
    error: str | None = None
    gold_sha256: str | None = None  # of the gold file scored against: comparisons check it is the same
    items: dict[str, Outcome] | None = None  # keyed by ``schema.CATEGORIES``


@dataclass(frozen=True, kw_only=True)
class FieldDetail:
    """Matched pairs of one category: how many, how many disagree on each field, mean evidence overlap."""

    pairs: int
    differ: dict[str, int]  # field -> pairs on which it disagrees (every compared field listed)
    mean_similarity: float
    mean_evidence_overlap: float


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """What made the predictions scored, from their metadata: model, mode and prompt version are
    "mixed" when documents differ and None when no prediction says (a second labelling)."""

    created_at: str | None = None  # the newest prediction's metadata.created_at (ISO 8601 UTC)
    model: str | None = None
    mode: str | None = None
    prompt_version: str | None = None


@dataclass(frozen=True, kw_only=True)
class EvalReport:
    version: Literal[1] = 1
    source: Source
    micro: Scores
    categories: dict[str, Scores]  # keyed by ``schema.CATEGORIES``
    attributes: dict[str, AttributeAccuracy]  # keyed "category.attribute" from ``Category.attributes``
    grounding: Grounding
    schema_valid_rate: float
    attempts: int
    tokens: Tokens
    provenance: dict[str, int]  # responses used, by recording provenance (or "live")
    bootstrap_micro_f1: Bootstrap
    documents: list[DocumentEntry]
    # Later additions to version 1 (absent from older reports; readers must not require them):
    fields: dict[str, FieldDetail] | None = None  # per category, field-level detail of matched pairs
    cost_usd: float | None = None  # priced from each prediction's model and usage; None when unknown
    run: RunInfo | None = None

    def to_json(self) -> str:
        """The report as written to a file: two-space indented, ASCII-escaped, with a final newline."""
        return json.dumps(jsonable(self), indent=2) + "\n"


def jsonable(value: Any) -> Any:
    """Report parts (and comparisons) as JSON values: dataclasses as dicts in field order, a field that is None left out."""
    if dataclasses.is_dataclass(value):
        return {f.name: jsonable(v) for f in dataclasses.fields(value) if (v := getattr(value, f.name)) is not None}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def load_report(path: Path, what: str = "baseline") -> EvalReport:
    """Read a JSON report; an unreadable file or one that is not a report is a one-line ``InputError``."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e}") from e
    try:
        return REPORT.validate_json(data)  # type: ignore[no-any-return]
    except Invalid as e:  # its text: the first error, where and what (documents[0].id: ...)
        raise InputError(f"{what} {path} is not a version-1 eval report: {e}",
                         hint="pass a report written by summarizer eval --json") from e  # fmt: skip


def _report_type() -> Any:
    return EvalReport


REPORT = Adapter("EvalReport", _report_type, ("evaluation/report.py",))
"""Reads and writes reports; fields unknown to this version are ignored, as the models' config said."""
