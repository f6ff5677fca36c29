"""Turn hand-written model answers (evals/authored/ID.json) into replayable recordings.

Each authored file holds the sequence of answers a model gives in one conversation (a first answer
that fails validation, then the corrected one, ...). This script runs the real pipeline for the
article, with the network replaced by a transport that serves those answers in order, and records
every exchange under evals/recordings/ID/ with ``provenance: authored``. It fails if the pipeline
did not consume exactly the answers written (e.g. a planned re-ask did not happen).

Re-run it whenever the prompt or the response schema changes:  uv run python scripts/author_recordings.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx2

from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import SummarizerError
from summarizer.evaluation.gold import load_gold
from summarizer.orchestrator import run

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini"


def _completion(request: dict[str, Any], answer: dict[str, Any], n: int) -> dict[str, Any]:
    name = request["tools"][0]["function"]["name"]
    arguments = json.dumps(answer, ensure_ascii=False)
    prompt_tokens = sum(len(m.get("content") or "") for m in request["messages"]) // 4 + 600
    completion_tokens = len(arguments) // 4
    return {
        "id": f"chatcmpl-authored-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": request["model"],
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}],
        }}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip


def author(doc_id: str, article: str, answers: list[dict[str, Any]], out: Path) -> str:
    served: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if len(served) >= len(answers):
            return httpx2.Response(500, json={"error": {"message": "no more authored answers"}})
        served.append(len(served))
        return httpx2.Response(200, json=_completion(body, answers[len(served) - 1], len(served)))

    target = out / doc_id
    if target.exists():
        shutil.rmtree(target)
    engine = build_engine(
        Settings(model=MODEL, api_key="authoring"),
        record=out,
        provenance="authored",
        network=httpx2.MockTransport(handler),
    )
    try:
        summary = run(engine, article, label=doc_id)
        outcome = f"ok, {len(summary.metadata.warnings)} warning(s)"
    except SummarizerError as e:
        outcome = f"error: {e}"
    if len(served) != len(answers):
        raise SystemExit(f"{doc_id}: pipeline used {len(served)} of {len(answers)} authored answers ({outcome})")
    return f"{doc_id}: {len(answers)} exchange(s), {outcome}"


def main() -> int:
    out = ROOT / "evals" / "recordings"
    for path in sorted((ROOT / "evals" / "authored").glob("*.json")):
        doc_id = path.stem
        gold = load_gold(ROOT / "evals" / "gold" / f"{doc_id}.yaml")
        answers = json.loads(path.read_text(encoding="utf-8"))["responses"]
        print(author(doc_id, gold.article_text, answers, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
