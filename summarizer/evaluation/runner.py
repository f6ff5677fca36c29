"""Runner: produce a prediction for every gold document, score it, and build the report.

A *run* is one pass over the gold directory with one source of predictions, through one scoring path:
``replay`` runs every recording through the full pipeline (the same ``run`` as ``summarize``);
``predictions`` reads ``ID.json`` files written earlier ("generate once, score many"), each named by
``summarizer.names`` (an ordinary id is its own file name; any other becomes a slug plus a hash, never a
path outside the directory), so writing and reading agree on every id;
``live`` calls the configured model, optionally recording the exchanges (``provenance: recorded``).

Only ``replay`` and ``live`` call a model, so only they import the client and the pipeline (and with
them the openai SDK and instructor); scoring saved predictions stays offline in its imports too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

from summarizer import names
from summarizer.config import Mode, Settings
from summarizer.errors import InputError, SummarizerError
from summarizer.evaluation.gold import Gold, gold_files, load_aliases, load_gold
from summarizer.evaluation.report import EvalReport, Source
from summarizer.evaluation.scoring import DocumentScore, aggregate, score_document
from summarizer.render import to_json
from summarizer.schema import ArticleSummary

if TYPE_CHECKING:
    from summarizer.client import Engine


def _predict_with(engine: Engine) -> Callable[[Gold], tuple[ArticleSummary | None, str | None, dict[str, int]]]:
    from summarizer.orchestrator import run  # the SDK and instructor: only when a model is called

    def predict(gold: Gold) -> tuple[ArticleSummary | None, str | None, dict[str, int]]:
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
        return summary, error, provenance

    return predict


def _read_prediction(directory: Path) -> Callable[[Gold], tuple[ArticleSummary | None, str | None, dict[str, int]]]:
    if not directory.is_dir():
        raise InputError(f"predictions directory not found: {directory}")

    def predict(gold: Gold) -> tuple[ArticleSummary | None, str | None, dict[str, int]]:
        try:
            path = prediction_path(directory, gold.id)
        except InputError as e:  # a symbolic link out of the directory
            return None, str(e), {}
        try:
            return ArticleSummary.model_validate_json(path.read_bytes()), None, {}
        except FileNotFoundError:
            return None, f"no prediction file {path.name}", {}
        except (OSError, pydantic.ValidationError) as e:
            return None, f"invalid prediction {path.name}: {' '.join(str(e).split())[:200]}", {}

    return predict


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
) -> tuple[EvalReport, list[DocumentScore], list[Gold]]:
    aliases = load_aliases(aliases_path)
    golds = [load_gold(p) for p in gold_files(gold_dir)]
    if not golds:
        raise InputError(f"no gold files (*.yaml) in {gold_dir}")
    settings = settings or Settings.from_env()
    if source == "predictions":
        assert predictions is not None
        predict = _read_prediction(predictions)
    else:
        from summarizer.client import build_engine  # the SDK and instructor: only when a model is called

        if source == "replay":
            assert recordings is not None
            engine = build_engine(settings, mode=mode, replay=recordings)
        else:
            engine = build_engine(settings, mode=mode, record=record, provenance="recorded")
        predict = _predict_with(engine)
    docs = []
    for gold in golds:
        summary, error, provenance = predict(gold)
        doc = score_document(gold, summary, aliases, error)
        doc.provenance = provenance
        docs.append(doc)
        if progress:
            progress(f"{gold.id}: {'error: ' + error if error else 'scored'}")
    return aggregate(docs, source), docs, golds


def prediction_path(directory: Path, doc_id: str) -> Path:
    """Where the prediction for ``doc_id`` is saved and read: ``directory / names.relative(doc_id)``
    plus ``.json`` (``ID.json`` for an ordinary id), verified to resolve inside ``directory``."""
    return names.child(directory, doc_id, ".json")


def write_predictions(docs: list[DocumentScore], directory: Path) -> None:
    """Each scored summary as ``prediction_path(directory, id)``; an ``InputError`` when one cannot be written."""
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
