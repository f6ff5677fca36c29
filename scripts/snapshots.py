"""Rewrite summarizer/data/core_schemas.json: pydantic's core schema of each model read offline.

``summarizer.snapshots`` validates gold files, saved summaries and eval reports from these snapshots
without importing pydantic, while each still matches the sources that define its model and the
installed pydantic and pydantic-core; otherwise pydantic builds the model. ``tests/test_snapshots.py``
fails when a snapshot is stale.

Re-run it whenever a model's sources or the pydantic version change:  uv run python scripts/snapshots.py
"""

from __future__ import annotations

import json
from pathlib import Path

import summarizer.evaluation.gold_format
import summarizer.evaluation.report  # noqa: F401 - both define adapters
from summarizer import snapshots

TARGET = Path(__file__).resolve().parent.parent / "summarizer" / "data" / snapshots.SNAPSHOT_FILE


def main() -> None:
    records = {name: adapter.record() for name, adapter in sorted(snapshots.ADAPTERS.items())}
    TARGET.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}: {', '.join(records)}")


if __name__ == "__main__":
    main()
