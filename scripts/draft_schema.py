"""Rewrite summarizer/data/draft_schema.json: the draft's JSON Schema and what it was made from.

``summarizer.prompting`` reads the schema the model is shown from that copy while it still matches
``summarizer/schema.py`` and the installed pydantic (so ``batch --dry-run`` need not import pydantic),
and has pydantic make it otherwise. ``tests/test_prompts_schema.py`` fails when the copy is stale.

Re-run it whenever schema.py or the pydantic version changes:  uv run python scripts/draft_schema.py
"""

from __future__ import annotations

import json
from pathlib import Path

from summarizer import prompting

TARGET = Path(__file__).resolve().parent.parent / "summarizer" / "data" / prompting.DRAFT_SCHEMA_FILE


def main() -> None:
    TARGET.write_text(json.dumps(prompting.draft_schema_record(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
