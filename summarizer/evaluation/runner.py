"""Runner: produce a prediction for every gold document, score it, and build the report.

A *run* is one pass over the gold directory with one source of predictions, through one scoring path:
``replay`` runs every recording through the full pipeline (the same ``run`` as ``summarize``);
``predictions`` scores summaries made earlier ("generate once, score many"), from any of:
- a predictions directory of ``ID.json`` files, each named by ``summarizer.names`` (an ordinary id is its
  own file name; any other becomes a slug plus a hash, never a path outside the directory), so writing
  and reading agree on every id;
- a batch results file (JSON Lines, ``summarizer batch -o``): the last line of each gold id is scored,
  an ``ok: false`` line is that document's error;
- another hand labelling of the same articles (a directory of ``ID.yaml`` gold files, e.g.
  ``evals/gold-second``): its items are scored as predictions, and documents it does not label are
  left out of the run (a second labelling covers a subset by design);
``live`` calls the configured model, optionally recording the exchanges (``provenance: recorded``).

A summary made from a different text of the article than the gold's (``article_sha256`` differs) is
not scored: it is that document's error, since its evidence offsets point into another text.

Only ``replay`` and ``live`` call a model, so only they import the client and the pipeline (and with
them the openai SDK and instructor); scoring saved predictions stays offline in its imports too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer import names
from summarizer.config import Mode, Settings
from summarizer.errors import InputError, SummarizerError
from summarizer.evaluation.gold import Gold, gold_files, load_aliases, load_gold
from summarizer.evaluation.report import EvalReport, Source
from summarizer.evaluation.scoring import DocumentScore, aggregate, score_document
from summarizer.result_lines import records
from summarizer.snapshots import ARTICLE_SUMMARY, Invalid

if TYPE_CHECKING:
    from summarizer.client import Engine
    from summarizer.schema import ArticleSummary


@dataclass
class Predicted:
    """What one document gets to be scored: a summary, another labelling, or why there is none."""

    summary: ArticleSummary | None = None
    labelling: Gold | None = None
    error: str | None = None
    provenance: dict[str, int] = field(default_factory=dict)
    skip: bool = False  # not part of this run (a second labelling that does not cover the document)


Predict = Callable[[Gold], Predicted]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _checked(gold: Gold, summary: ArticleSummary, where: str) -> Predicted:
    if summary.metadata.article_sha256 != _sha256(gold.article_text):
        return Predicted(error=f"{where} was made from a different text of the article than the gold's "
                               "(article_sha256 differs)")  # fmt: skip
    return Predicted(summary=summary)


def _predict_with(engine: Engine) -> Predict:
    from summarizer.orchestrator import run  # the SDK and instructor: only when a model is called

    def predict(gold: Gold) -> Predicted:
        served_before = len(engine.replay.served) if engine.replay else 0
        try:
            summary, error = run(engine, gold.article_text, label=gold.id), None
        except SummarizerError as e:
            summary, error = None, f"{type(e).__name__}: {e}"
        if engine.replay is not None:
            provenance: dict[str, int] = {}
            for rec in engine.replay.served[served_before:]:
                provenance[rec.provenance] = provenance.get(rec.provenance, 0) + 1
        else:
            provenance = {"live": summary.metadata.attempts if summary else 0}
        return Predicted(summary=summary, error=error, provenance=provenance)

    return predict


def _read_prediction(directory: Path) -> Predict:
    if not directory.is_dir():
        raise InputError(f"predictions directory not found: {directory}")

    def predict(gold: Gold) -> Predicted:
        try:
            path = prediction_path(directory, gold.id)
        except InputError as e:  # a symbolic link out of the directory
            return Predicted(error=str(e))
        try:
            summary = ARTICLE_SUMMARY.validate_json(path.read_bytes())
        except FileNotFoundError:
            return Predicted(error=f"no prediction file {path.name}")
        except (OSError, Invalid) as e:  # Invalid: the first error, where and what (positions[0].stance: ...)
            return Predicted(error=f"invalid prediction {path.name}: {' '.join(str(e).split())[:200]}")
        return _checked(gold, summary, f"prediction {path.name}")

    return predict


def _read_results(path: Path, ids: set[str]) -> Predict:
    """Predictions from a batch results file: the last line of each id in ``ids`` (read once, streamed)."""
    found: dict[str, Predicted] = {}
    for record, summary in records(path, only=ids):
        if summary is None:
            error = record["error"]
            found[record["id"]] = Predicted(error=f"batch error: {error.get('type', '?')}: {error.get('message', '')}")
        elif record["article_sha256"] != summary.metadata.article_sha256:
            found[record["id"]] = Predicted(error=f"{path.name}: the line of {record['id']!r} and its summary "
                                                  "name different article_sha256")  # fmt: skip
        else:
            found[record["id"]] = Predicted(summary=summary)

    def predict(gold: Gold) -> Predicted:
        got = found.get(gold.id)
        if got is None:
            return Predicted(error=f"no result line for {gold.id!r} in {path.name}")
        if got.summary is None:
            return got
        return _checked(gold, got.summary, f"the result line of {gold.id!r} in {path.name}")

    return predict


def _read_labelling(directory: Path) -> Predict:
    """Predictions from another labelling of the same articles: ``directory/ID.yaml`` gold files."""

    def predict(gold: Gold) -> Predicted:
        path = directory / f"{gold.path.stem}.yaml"
        if not path.is_file():
            return Predicted(skip=True)
        other = load_gold(path)
        if other.article_text != gold.article_text:
            return Predicted(error=f"{path} labels a different text of the article than {gold.path}")
        return Predicted(labelling=other)

    return predict


def prediction_source(path: Path, ids: set[str]) -> Predict:
    """How to read what ``--predictions PATH`` names: a directory of ``ID.json`` summaries, a directory of
    ``ID.yaml`` labellings, or a batch results file; ``ids`` are the gold ids (a results file keeps only those)."""
    if path.is_dir():
        if any(path.glob("*.yaml")) and not any(path.glob("*.json")):
            return _read_labelling(path)
        return _read_prediction(path)
    if path.is_file():
        return _read_results(path, ids)
    raise InputError(f"predictions not found: {path}",
                     hint="pass a predictions directory (ID.json), a batch results file (.jsonl) or a gold directory")  # fmt: skip


def evaluate(
    *,
    gold_dir: Path,
    aliases_path: Path | None,
    source: Source,
    recordings: Path | None = None,
    predictions: Path | None = None,
    settings: Settings | None = None,
    record: Path | None = None,
    mode: Mode = "tools",
    progress: Callable[[str], None] | None = None,
    golds: list[Gold] | None = None,
) -> tuple[EvalReport, list[DocumentScore], list[Gold]]:
    """Score one run against the gold files of ``gold_dir`` (``golds``: those files already loaded, by
    ``load_golds``, when several runs are scored against them); returns the report, each scored
    document, and the gold each was scored against."""
    aliases = load_aliases(aliases_path)
    golds = golds if golds is not None else load_golds(gold_dir)
    settings = settings or Settings.from_env()
    if source == "predictions":
        assert predictions is not None
        predict = prediction_source(predictions, {g.id for g in golds})
    else:
        from summarizer.client import build_engine  # the SDK and instructor: only when a model is called

        if source == "replay":
            assert recordings is not None
            engine = build_engine(settings, mode=mode, replay=recordings)
        else:
            engine = build_engine(settings, mode=mode, record=record, provenance="recorded")
        predict = _predict_with(engine)
    docs, scored = [], []
    for gold in golds:
        got = predict(gold)
        if got.skip:
            continue
        doc = score_document(gold, got.summary, aliases, got.error, labelling=got.labelling)
        doc.provenance = got.provenance
        docs.append(doc)
        scored.append(gold)
        if progress:
            progress(f"{gold.id}: {'error: ' + got.error if got.error else 'scored'}")
    if not docs:
        raise InputError(f"{predictions} labels none of the articles in {gold_dir}")
    return aggregate(docs, source), docs, scored


def load_golds(gold_dir: Path) -> list[Gold]:
    """Every gold file of ``gold_dir``, loaded; an ``InputError`` when there is none."""
    golds = [load_gold(p) for p in gold_files(gold_dir)]
    if not golds:
        raise InputError(f"no gold files (*.yaml) in {gold_dir}")
    return golds


def prediction_path(directory: Path, doc_id: str) -> Path:
    """Where the prediction for ``doc_id`` is saved and read: ``directory / names.relative(doc_id)``
    plus ``.json`` (``ID.json`` for an ordinary id), verified to resolve inside ``directory``."""
    return names.child(directory, doc_id, ".json")


def write_predictions(docs: list[DocumentScore], directory: Path) -> None:
    """Each scored summary as ``prediction_path(directory, id)``; an ``InputError`` when one cannot be written."""
    from summarizer.render import to_json

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {directory}: {e.strerror or e}") from e
    for d in docs:
        if d.summary is not None:
            path = prediction_path(directory, d.id)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(to_json(d.summary), encoding="utf-8")
            except OSError as e:
                raise InputError(f"cannot write prediction {path}: {e.strerror or e}") from e
