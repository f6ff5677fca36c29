"""``summarizer export``: a batch results file into SQLite, CSV (and Parquet with the extra) tables."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from summarizer import cli
from summarizer.export import TABLES, export
from summarizer.schema import (
    Actor,
    ArticleSummary,
    Evidence,
    Position,
    Proposal,
    Risk,
    RunMetadata,
    SupportCommitment,
    Usage,
)

ODD_ID = 'Kyjiw "Київ" \\ 🇺🇦, \'x\''  # quotes, a backslash, unicode, a comma: must survive every format


def ev(quote: str, start: int = 0) -> Evidence:
    return Evidence(quote=quote, start=start, end=start + len(quote), match="exact")


def metadata(sha: str, warnings: list[str], usage: Usage) -> RunMetadata:
    return RunMetadata(model="test-model", base_url_host="127.0.0.1", mode="tools", prompt_version="p1",
                       article_sha256=sha, attempts=1, usage=usage, latency_ms=12, warnings=warnings, chunks=1,
                       created_at="2026-12-01T00:00:00Z", package_version="0.0.0")  # fmt: skip


def summary_a() -> ArticleSummary:
    return ArticleSummary(
        summary="Poland and NATO discuss air defence.",
        actors=[Actor(name="Poland", type="state", affiliation=None), Actor(name="NATO", type="organization", affiliation=None),
                Actor(name="Ukraine", type="state", affiliation=None),
                Actor(name="Andrzej Duda", type="person", affiliation="Poland")],
        positions=[
            Position(actor="Poland", topic="air defence", stance="support", statement="Poland backs it.", evidence=[ev("backs")]),
            Position(actor="NATO", topic="no-fly zone", stance="oppose", statement="NATO rejects it.",
                     evidence=[ev("rejects"), ev("no", 40)]),
        ],
        proposals=[Proposal(proposer="Andrzej Duda", proposal="Send jets", addressees=["NATO", "Poland"], status="proposed",
                            evidence=[ev("jets")])],
        risks=[Risk(risk="Escalation", raised_by="NATO", affected=["Poland", "Ukraine"], evidence=[ev("escalate")])],
        support_commitments=[
            SupportCommitment(provider="Poland", recipient="Ukraine", support_type="military", description="MiG-29 jets",
                              status="pledged", conditions=["via NATO", "no crews"], evidence=[ev("MiG")]),
            SupportCommitment(provider="NATO", recipient="Ukraine", support_type="humanitarian", description="Tents",
                              status="delivered", conditions=[], evidence=[ev("tents")]),
        ],
        metadata=metadata("a" * 64, [], Usage(prompt_tokens=100, completion_tokens=50, total_tokens=150, cached_tokens=20)),
    )


def summary_b() -> ArticleSummary:
    return ArticleSummary(
        summary="The US pledges money.",
        actors=[Actor(name="United States", type="state", affiliation=None), Actor(name="Ukraine", type="state", affiliation=None)],
        positions=[Position(actor="United States", topic="air defence", stance="support", statement="The US backs it.",
                            evidence=[ev("backs")])],
        proposals=[Proposal(proposer="Ukraine", proposal="Close the sky", addressees=["United States"],
                            status="rejected", evidence=[ev("sky")])],
        risks=[Risk(risk="Shortages", raised_by=None, affected=[], evidence=[ev("short")])],
        support_commitments=[SupportCommitment(provider="United States", recipient="Ukraine", support_type="financial",
                                               description="$800m", status="pledged", conditions=["approved by Congress"],
                                               evidence=[ev("$800")])],
        metadata=metadata("b" * 64, ["positions[1]: dropped item with no grounded evidence (x)", "repaired a reference"],
                          Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)),
    )


SOURCE = {"url": "https://example.org/a", "title": "Jets for Ukraine", "published": "2026-11-30", "source": "Example",
          "lang": "uk"}  # fmt: skip


def result_lines() -> list[dict[str, Any]]:
    return [
        {"id": ODD_ID, "article_sha256": "a" * 64, "ok": True, "summary": summary_a().model_dump(mode="json"),
         "source": SOURCE},
        {"id": "b", "article_sha256": "b" * 64, "ok": True, "summary": summary_b().model_dump(mode="json")},
        {"id": "c", "article_sha256": "c" * 64, "ok": False, "error": {"type": "ProviderError", "message": "HTTP 500"}},
    ]


EXPECTED = {
    "articles": 3, "warnings": 2, "actors": 6, "positions": 3, "proposals": 2, "proposal_addressees": 3, "risks": 2,
    "risk_affected": 2, "support_commitments": 3, "support_conditions": 3, "evidence": 11,  # A: 3+1+1+2, B: 1+1+1+1
}  # fmt: skip


def write_results(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results.jsonl", result_lines())


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return {t.name: con.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in TABLES}


def export_main(*argv: str) -> int:
    return cli.main(["export", *argv])


def test_every_table_is_expected() -> None:
    assert {t.name for t in TABLES} == set(EXPECTED)


def test_sqlite_rows_and_joins(results: Path, tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    assert export_main(str(results), "-o", str(db)) == 0
    assert counts(db) == EXPECTED
    con = sqlite3.connect(db)
    # who pledged what to whom, with the article's title (computed by hand from the two summaries)
    pledged = con.execute(
        "SELECT a.id, a.title, s.provider, s.recipient, s.description, group_concat(c.condition, '; ') "
        "FROM support_commitments s JOIN articles a ON a.id = s.article_id "
        "LEFT JOIN support_conditions c ON c.article_id = s.article_id AND c.n = s.n "
        "WHERE s.status = 'pledged' GROUP BY s.article_id, s.n ORDER BY a.id"
    ).fetchall()
    assert pledged == [  # ORDER BY a.id: "K" sorts before "b"
        (ODD_ID, "Jets for Ukraine", "Poland", "Ukraine", "MiG-29 jets", "via NATO; no crews"),
        ("b", None, "United States", "Ukraine", "$800m", "approved by Congress"),
    ]
    # every actor a proposal is addressed to, joined to the actor's type
    addressed = con.execute(
        "SELECT p.proposer, x.actor, ac.type FROM proposals p JOIN proposal_addressees x USING (article_id, n) "
        "JOIN actors ac ON ac.article_id = x.article_id AND ac.name = x.actor ORDER BY p.proposer, x.k"
    ).fetchall()
    assert addressed == [("Andrzej Duda", "NATO", "organization"), ("Andrzej Duda", "Poland", "state"),
                         ("Ukraine", "United States", "state")]  # fmt: skip
    assert con.execute("SELECT id FROM articles WHERE id IN (SELECT article_id FROM warnings WHERE text LIKE "
                       "'%dropped%')").fetchall() == [("b",)]  # fmt: skip
    row = con.execute("SELECT url, published, source, source_json, model, prompt_tokens, cached_tokens, total_tokens, "
                      "usage_estimated, cost, ok, warnings FROM articles WHERE id = ?", (ODD_ID,)).fetchone()  # fmt: skip
    assert row == ("https://example.org/a", "2026-11-30", "Example", '{"lang": "uk"}', "test-model", 100, 20, 150, 0,
                   None, 1, 0)  # fmt: skip
    assert con.execute("SELECT ok, error_type, error_message, model FROM articles WHERE id = 'c'").fetchone() == (
        0, "ProviderError", "HTTP 500", None)  # fmt: skip
    assert con.execute('SELECT quote, start, "end", match FROM evidence WHERE article_id = ? AND category = '
                       "'positions' AND n = 1 AND k = 1", (ODD_ID,)).fetchone() == ("no", 40, 42, "exact")  # fmt: skip
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"actors_name", "positions_actor", "proposal_addressees_actor", "support_commitments_provider"} <= indexes
    con.close()


def test_reexport_replaces(results: Path, tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    assert export_main(str(results), "-o", str(db)) == 0
    assert export_main(str(results), "-o", str(db)) == 0
    assert counts(db) == EXPECTED
    write_results(results, result_lines()[2:])  # a smaller file: the export shrinks too, nothing is merged
    assert export_main(str(results), "-o", str(db)) == 0
    assert counts(db) == {name: 1 if name == "articles" else 0 for name in EXPECTED}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.db", "results.jsonl"]  # no temp files left


def test_a_later_line_of_the_same_id_wins(tmp_path: Path) -> None:
    records = result_lines()
    again = dict(records[2], error={"type": "Timeout", "message": "slow"})
    path = write_results(tmp_path / "r.jsonl", [*records, records[0], again])
    report = export(path, tmp_path / "out.db")
    assert (report.articles, report.replaced) == (3, 2)
    assert counts(tmp_path / "out.db") == EXPECTED
    with sqlite3.connect(tmp_path / "out.db") as con:
        assert con.execute("SELECT error_type FROM articles WHERE id = 'c'").fetchone() == ("Timeout",)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_one_file_per_table(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    assert export_main(str(results), "-o", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in EXPECTED)
    assert {name: len(read_csv(out / f"{name}.csv")) for name in EXPECTED} == EXPECTED
    articles = {row["id"]: row for row in read_csv(out / "articles.csv")}
    assert set(articles) == {ODD_ID, "b", "c"}
    assert articles[ODD_ID]["title"] == "Jets for Ukraine" and articles["c"]["model"] == ""
    conditions = [(r["article_id"], r["n"], r["k"], r["condition"]) for r in read_csv(out / "support_conditions.csv")]
    assert conditions == [(ODD_ID, "0", "0", "via NATO"), (ODD_ID, "0", "1", "no crews"), ("b", "0", "0", "approved by Congress")]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert export_main(str(results), "-o", str(out)) == 0  # re-export: the same files, the same bytes
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_malformed_line_exits_2_and_keeps_the_old_export(results: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    db, out = tmp_path / "out.db", tmp_path / "tables"
    assert export_main(str(results), "-o", str(db)) == 0
    assert export_main(str(results), "-o", str(out)) == 0
    old_db, old_csv = db.read_bytes(), {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    with open(results, "a", encoding="utf-8") as f:
        f.write("\n" + json.dumps({"id": "d", "article_sha256": "d" * 64, "ok": True, "summary": {"summary": "x"}}) + "\n")
        f.write("{not json\n")
    for target in (db, out):
        assert export_main(str(results), "-o", str(target)) == 2
        err = capsys.readouterr().err
        assert f"{results}:5 is not a batch result line: summary." in err, err
        assert err.count("\n") == 2  # one error line and its hint
    assert db.read_bytes() == old_db
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old_csv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.db", "results.jsonl", "tables"]
    lines = results.read_text(encoding="utf-8").splitlines()
    write_results(results, [json.loads(line) for line in lines[:3]])
    with open(results, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    assert export_main(str(results), "-o", str(db)) == 2
    assert f"{results}:4 is not a batch result line: not JSON" in capsys.readouterr().err


def test_bad_targets(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file.txt").write_text("x")
    assert export_main(str(results), "-o", str(tmp_path / "file.txt")) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    (tmp_path / "dir.db").mkdir()
    assert export_main(str(results), "-o", str(tmp_path / "dir.db")) == 2
    assert export_main(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.db")) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_parquet(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert export_main(str(results), "-o", str(tmp_path / "pq"), "--format", "parquet") == 2
        assert "needs pyarrow" in capsys.readouterr().err
        return
    assert export_main(str(results), "-o", str(tmp_path / "pq"), "--format", "parquet") == 0
    assert {name: pq.read_table(tmp_path / "pq" / f"{name}.parquet").num_rows for name in EXPECTED} == EXPECTED


def test_export_imports_no_sdk(results: Path, tmp_path: Path) -> None:
    from test_offline_imports import run_probe

    code, imported = run_probe(["export", str(results), "-o", str(tmp_path / "x.db")])
    assert (code, imported) == (0, [])
