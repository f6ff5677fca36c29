"""Hand-built gold and two runs of predictions on two tiny articles, shared by tests/test_compare.py and
tests/test_scoring.py; what each run should score is worked out by hand in test_compare.py's docstring."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from summarizer.grounding import locate
from summarizer.schema import ArticleSummary

ARTICLE_1 = ("Poland said it will send 100 tanks to Ukraine. Hungary opposed new sanctions on Russia. "
             "Germany proposed a ceasefire conference in Geneva. The minister warned that the war could spread "
             "to Moldova.\n")  # fmt: skip
ARTICLE_2 = "France pledged 50 million euros to Ukraine for reconstruction.\n"

GOLD_1 = """article: ../articles/d1.txt
summary: Poland pledges tanks; Hungary opposes sanctions; Germany proposes a conference.
actors:
  - {name: Poland, type: state, affiliation: null}
  - {name: Ukraine, type: state, affiliation: null}
  - {name: Hungary, type: state, affiliation: null}
  - {name: Russia, type: state, affiliation: null}
  - {name: Germany, type: state, affiliation: null}
  - {name: Moldova, type: state, affiliation: null}
positions:
  - {actor: Hungary, topic: new sanctions on Russia, stance: oppose, statement: Hungary opposed new sanctions on Russia.,
     evidence: ["Hungary opposed new sanctions on Russia."]}
proposals:
  - {proposer: Germany, proposal: a ceasefire conference in Geneva, addressees: [], status: proposed,
     evidence: ["Germany proposed a ceasefire conference in Geneva."]}
risks:
  - {risk: the war could spread to Moldova, raised_by: null, affected: [Moldova], optional: true,
     evidence: ["the war could spread to Moldova"]}
support_commitments:
  - {provider: Poland, recipient: Ukraine, support_type: military, description: 100 tanks for Ukraine,
     status: pledged, conditions: [], evidence: ["Poland said it will send 100 tanks to Ukraine."]}
"""
GOLD_2 = """article: ../articles/d2.txt
summary: France pledges money to Ukraine.
actors:
  - {name: France, type: state, affiliation: null}
  - {name: Ukraine, type: state, affiliation: null}
positions: []
proposals: []
risks: []
support_commitments:
  - {provider: France, recipient: Ukraine, support_type: financial, description: 50 million euros for reconstruction,
     status: pledged, conditions: [], evidence: ["France pledged 50 million euros to Ukraine"]}
"""
STATES = ["Poland", "Ukraine", "Hungary", "Russia", "Germany", "Moldova", "France"]


def summary(text: str, **items: list[dict[str, Any]]) -> dict[str, Any]:
    """An ArticleSummary (as JSON) of ``text`` with ``items``; each item's ``evidence`` given as quotes."""
    body: dict[str, Any] = {"schema_version": "1", "summary": "s",
                            "actors": [{"name": n, "type": "state", "affiliation": None} for n in STATES]}  # fmt: skip
    for category in ("positions", "proposals", "risks", "support_commitments"):
        body[category] = []
        for item in items.get(category, []):
            spans = [locate(q, text) for q in item["evidence"]]
            assert all(spans)
            evidence = [{"quote": q, "start": s.start, "end": s.end, "match": s.match}
                        for q, s in zip(item["evidence"], spans, strict=True) if s]  # fmt: skip
            body[category].append({**item, "evidence": evidence})
    body["metadata"] = {"model": "gpt-4o-mini", "base_url_host": "127.0.0.1", "mode": "tools", "prompt_version": "p1",
                        "article_sha256": hashlib.sha256(text.encode()).hexdigest(), "attempts": 1,
                        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                                  "cached_tokens": 0},
                        "latency_ms": 5, "warnings": [], "chunks": 1, "created_at": "2026-12-01T00:00:00+00:00",
                        "package_version": "0"}  # fmt: skip
    return ArticleSummary.model_validate(body).model_dump(mode="json")


HUNGARY = {"actor": "Hungary", "topic": "sanctions on Russia", "statement": "Hungary opposes sanctions.",
           "evidence": ["Hungary opposed new sanctions on Russia."]}  # fmt: skip
CONFERENCE = {"proposer": "Germany", "proposal": "a ceasefire conference in Geneva",
              "evidence": ["Germany proposed a ceasefire conference in Geneva."]}  # fmt: skip
A = {
    "d1": summary(ARTICLE_1, positions=[{**HUNGARY, "stance": "oppose"}],
                  proposals=[{**CONFERENCE, "addressees": ["Russia"], "status": "accepted"}],
                  support_commitments=[{"provider": "Poland", "recipient": "Ukraine", "support_type": "military",
                                        "description": "100 tanks sent to Ukraine", "status": "delivered",
                                        "conditions": [], "evidence": ["will send 100 tanks to Ukraine"]}]),
    "d2": summary(ARTICLE_2),
}  # fmt: skip
B = {
    "d1": summary(ARTICLE_1,
                  positions=[{**HUNGARY, "stance": "support"},
                             {"actor": "Poland", "topic": "arming Ukraine", "stance": "support",
                              "statement": "Poland supports arming Ukraine.",
                              "evidence": ["Poland said it will send 100 tanks to Ukraine."]}],
                  proposals=[{**CONFERENCE, "addressees": [], "status": "proposed"}],
                  risks=[{"risk": "the war spreading to Moldova", "raised_by": None, "affected": ["Moldova"],
                          "evidence": ["the war could spread to Moldova"]}]),
    "d2": summary(ARTICLE_2, support_commitments=[
        {"provider": "France", "recipient": "Ukraine", "support_type": "financial", "description": "50 million euros",
         "status": "pledged", "conditions": [], "evidence": ["France pledged 50 million euros to Ukraine"]}]),
}  # fmt: skip


def make_project(tmp_path: Path) -> Path:
    """A project folder: articles/, gold/ (d1, d2), aliases.yaml, and runs a/ and b/ as ID.json."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "articles").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "articles" / "d1.txt").write_text(ARTICLE_1, encoding="utf-8")
    (tmp_path / "articles" / "d2.txt").write_text(ARTICLE_2, encoding="utf-8")
    (tmp_path / "gold" / "d1.yaml").write_text(GOLD_1, encoding="utf-8")
    (tmp_path / "gold" / "d2.yaml").write_text(GOLD_2, encoding="utf-8")
    (tmp_path / "aliases.yaml").write_text("{}\n")
    for name, run in (("a", A), ("b", B)):
        (tmp_path / name).mkdir()
        for doc_id, body in run.items():
            (tmp_path / name / f"{doc_id}.json").write_text(json.dumps(body), encoding="utf-8")
    return tmp_path




def scored(project: Path, name: str) -> tuple[Any, Any, Any]:
    """Run ``name`` of ``make_project``'s folder scored against its gold: (report, documents, golds)."""
    from summarizer.evaluation.runner import evaluate

    return evaluate(gold_dir=project / "gold", aliases_path=project / "aliases.yaml", source="predictions",
                    predictions=project / name)  # fmt: skip
