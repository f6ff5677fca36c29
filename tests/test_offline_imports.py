"""Commands that call no model never import the openai SDK or instructor.

Each command runs in a fresh interpreter (this test process has long imported both), through the
same ``main`` as the console script, and then reports which of the two are in ``sys.modules``. The
model command ``summarize --replay`` runs through the same probe as a control: it must show both.
How long these commands take is measured by ``benchmarks/startup.py``, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEED

from summarizer.cli import main

SDK = ("openai", "instructor")
PROBE = """
import json, sys
from summarizer.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as e:
    code = e.code
print("\\nPROBE " + json.dumps({"code": code, "imported": [m for m in json.loads(sys.argv[2]) if m in sys.modules]}))
"""


def run_probe(argv: list[str], modules: tuple[str, ...] = SDK) -> tuple[int, list[str]]:
    """Exit code of ``summarizer ARGV`` and which of ``modules`` it imported, from a fresh interpreter."""
    command = [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(modules)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, f"probe failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    result = json.loads(lines[-1].removeprefix("PROBE "))
    return result["code"], result["imported"]


@pytest.fixture(scope="module")
def predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "pred"
    assert main(["eval", "--gold", str(ROOT / "evals/gold"), "--recordings", str(ROOT / "evals/recordings"),
                 "--save-predictions", str(out)]) == 0  # fmt: skip
    assert any(out.glob("*.json"))
    return out


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["summarize", "--help"], ["batch", "--help"], ["eval", "--help"], ["schema", "--help"], ["schema"]],
    ids=lambda argv: " ".join(argv),
)
def test_help_and_schema_import_no_sdk(argv: list[str]) -> None:
    code, imported = run_probe(argv)
    assert code == 0
    assert imported == []


def test_eval_lint_imports_no_sdk() -> None:
    code, imported = run_probe(["eval", "--lint"])
    assert code == 0
    assert imported == []


def test_eval_of_saved_predictions_imports_no_sdk(predictions: Path, tmp_path: Path) -> None:
    # every report and the gate too: scoring saved predictions calls no model
    argv = ["eval", "--predictions", str(predictions), "--json", str(tmp_path / "r.json"),
            "--markdown", str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html"),
            "--baseline", str(ROOT / "evals/baseline.json"), "--fail-on-regression"]  # fmt: skip
    code, imported = run_probe(argv)
    assert code == 0
    assert imported == []
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["source"] == "predictions" and report["documents"]


def test_a_failing_offline_command_imports_no_sdk(tmp_path: Path) -> None:
    code, imported = run_probe(["eval", "--predictions", str(tmp_path / "missing")])
    assert code == 2
    assert imported == []


def test_the_probe_sees_the_sdk_when_a_model_is_called() -> None:
    code, imported = run_probe(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "-o", "-"])
    assert code == 0
    assert imported == list(SDK)


def test_batch_dry_run_imports_no_sdk(tmp_path: Path) -> None:
    argv = ["batch", str(ROOT / "seeds"), str(ROOT / "evals/articles"), "-o", str(tmp_path / "out.jsonl"),
            "--dry-run", "--model", "gpt-4o-mini", "--max-input-tokens", "400", "--max-cost", "1"]  # fmt: skip
    code, imported = run_probe(argv)
    assert code == 0
    assert imported == []


def test_batch_public_names_stay_functions_after_their_modules_load() -> None:
    probe = ("import summarizer.batch.dry_run, summarizer.batch.run\n"
             "from summarizer.batch import dry_run, run_batch\nprint(callable(dry_run), callable(run_batch))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_batch_dry_run_imports_no_pydantic_and_no_transport(tmp_path: Path) -> None:
    # the draft's schema comes from its snapshot (summarizer/data/core_schemas.json), token counts
    # from the native tokenizer: pricing needs neither pydantic, the HTTP stack nor bpe_openai's wrapper
    argv = ["batch", str(ROOT / "seeds"), "-o", str(tmp_path / "out.jsonl"), "--dry-run"]
    command = [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(["pydantic", "httpx2", "asyncio", "bpe_openai"])]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stderr
    assert json.loads(lines[-1].removeprefix("PROBE ")) == {"code": 0, "imported": []}


PYDANTIC = ("pydantic", "pydantic_core", "pydantic_core._pydantic_core")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "results.jsonl"
    assert main(["batch", str(ROOT / "evals/articles"), "-o", str(out), "--replay", str(ROOT / "evals/recordings")]) == 0
    return out


def test_commands_that_call_no_model_go_through_snapshots_without_pydantic_or_the_sdk(
    predictions: Path, results: Path, tmp_path: Path
) -> None:
    # only pydantic-core's compiled validator is loaded (summarizer.snapshots), not pydantic or its package
    for argv in (
        ["schema"],
        ["eval", "--lint"],
        ["eval", "--predictions", str(predictions), "--json", str(tmp_path / "r.json"),
         "--baseline", str(ROOT / "evals/baseline.json")],
        ["compare", str(ROOT / "evals/baseline.json"), str(predictions), "--json", str(tmp_path / "c.json"),
         "--markdown", str(tmp_path / "c.md"), "--html", str(tmp_path / "c.html")],
        ["compare", str(predictions), str(ROOT / "evals/gold-second")],
        ["export", str(results), "-o", str(tmp_path / "x.db")],
        ["export", str(results), "-o", str(tmp_path / "csv")],
        ["render", str(results), str(ROOT / "evals/articles"), "-o", str(tmp_path / "site")],
    ):  # fmt: skip
        code, imported = run_probe(argv, (*PYDANTIC, *SDK))
        assert code == 0, argv
        assert imported == ["pydantic_core._pydantic_core"], argv
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "csv" / "positions.csv").is_file()
