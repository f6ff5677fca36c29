"""The CLI end to end: real argument parsing, real files, real exit codes, one-line errors."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from answers import seed_answer
from conftest import ROOT, SEED
from openai_server import Answer, Fault, OpenAIServer

from summarizer.cli import QUICK_GC_THRESHOLD, main

ENV_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_MODEL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS} | (env or {})
    return subprocess.run([sys.executable, "-m", "summarizer", *args], cwd=ROOT, env=full_env, input=stdin,
                          capture_output=True, timeout=60)  # fmt: skip


def test_seed_brief_replays_offline_and_names_the_recording(capsys) -> None:
    code = main(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings")])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("# Brief") and "## Positions" in out and "Evidence: “" in out
    assert "replayed" in err and "nato_rejects_missile_interception" in err and "provenance: authored" in err


def test_json_format_is_schema_v1(capsys) -> None:
    assert main(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == "1" and data["metadata"]["attempts"] == 2
    text = SEED.read_text(encoding="utf-8")
    for item in data["positions"]:
        for ev in item["evidence"]:
            assert text[ev["start"] : ev["end"]] == ev["quote"]


def test_summarize_against_local_server_writes_output_file(server: OpenAIServer, tmp_path: Path, capsys) -> None:
    server.enqueue(Answer(seed_answer()))
    out = tmp_path / "brief.json"
    os.environ["OPENAI_API_KEY"] = "sk-test"
    try:
        code = main(["summarize", str(SEED), "--base-url", server.base_url, "--format", "json", "-o", str(out)])
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert code == 0
    assert json.loads(out.read_text())["metadata"]["base_url_host"] == "127.0.0.1"


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    return {
        "does not exist": tmp_path / "missing.txt",
        "is empty": tmp_path / "empty.txt",
        "looks binary": tmp_path / "binary.txt",
        "not valid UTF-8": tmp_path / "latin1.txt",
        "is a directory": tmp_path,
    }


def test_each_bad_input_is_one_line_error_with_hint_and_exit_2(tmp_path: Path, capsys) -> None:
    for expected, path in _bad_inputs(tmp_path).items():
        assert main(["summarize", str(path), "--replay", str(ROOT / "evals/recordings")]) == 2
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 2 and expected in lines[0] and lines[1].startswith("hint: "), err
        assert "Traceback" not in err


def test_no_api_key_and_no_replay_exits_3(capsys) -> None:
    assert main(["summarize", str(SEED)]) == 3
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def test_unreachable_server_exits_4_without_traceback() -> None:
    result = run_cli("summarize", str(SEED), "--base-url", "http://127.0.0.1:9/v1", "--timeout", "2",
                     env={"OPENAI_API_KEY": "sk-test"})  # fmt: skip
    assert result.returncode == 4
    assert b"cannot reach 127.0.0.1" in result.stderr and b"Traceback" not in result.stderr


def test_validation_exhausted_under_strict_exits_5(server: OpenAIServer, capsys) -> None:
    bad = seed_answer()
    bad["positions"][0]["evidence"] = ["NATO refuses to shoot down any missiles at all"]
    server.enqueue(*[Answer(bad) for _ in range(3)])
    os.environ["OPENAI_API_KEY"] = "sk-test"
    try:
        assert main(["summarize", str(SEED), "--base-url", server.base_url, "--strict"]) == 5
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert "quote not found" in capsys.readouterr().err


def test_truncation_exits_6(server: OpenAIServer, capsys) -> None:
    server.enqueue(Answer('{"summary": "NA', finish_reason="length"))
    os.environ["OPENAI_API_KEY"] = "sk-test"
    try:
        assert main(["summarize", str(SEED), "--base-url", server.base_url]) == 6
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert "cut off" in capsys.readouterr().err


def test_stdin_input_and_secret_free_errors(server: OpenAIServer) -> None:
    secret = "sk-live-SECRET-abcdefghijklmnop"
    server.enqueue(Fault(401, body=json.dumps({"error": {"message": f"Incorrect API key provided: {secret}"}})))
    result = run_cli("summarize", "-", "--base-url", server.base_url, env={"OPENAI_API_KEY": secret},
                     stdin=SEED.read_bytes())  # fmt: skip
    assert result.returncode == 4
    assert b"SECRET" not in result.stderr and b"SECRET" not in result.stdout


def test_schema_command_prints_json_schema(capsys) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "ArticleSummary"


def test_bad_usage_exits_2(capsys) -> None:
    assert main(["summarize"]) == 2
    assert main(["summarize", str(SEED), "--mode", "xml"]) == 2
    assert main([]) == 2


def test_exit_codes_in_readme_and_help_come_from_the_one_table(capsys) -> None:
    from summarizer.errors import EXIT_CODES, SummarizerError

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^- (\d+) (.+)$", readme, re.MULTILINE)
    assert {int(code): text for code, text in listed if int(code) in EXIT_CODES} == EXIT_CODES
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert all(f"{code:>3}  {text}" in shown for code, text in EXIT_CODES.items())
    classes, seen = [SummarizerError], []
    while classes:  # every error's exit code is in the table
        cls = classes.pop()
        seen.append(cls.exit_code)
        classes += cls.__subclasses__()
    assert set(seen) <= set(EXIT_CODES)


def _commands() -> dict:
    import argparse

    from summarizer.cli import build_parser

    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_every_option_has_help_text() -> None:
    for name, command in _commands().items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help text"


def test_readme_synopses_list_every_option_help_lists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## CLI", 1)[1].split("```", 2)[1]
    synopses = re.split(r"\n(?=summarizer )", block)
    for name, command in _commands().items():
        synopsis = next(s for s in synopses if s.startswith(f"summarizer {name}"))
        listed = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", synopsis))
        for action in command._actions:
            options = [o for o in action.option_strings if o not in ("-h", "--help")]
            assert not options or listed & set(options), f"README's {name} synopsis lacks {options[-1]}"


def test_version_and_short_model_option(capsys) -> None:
    from summarizer.version import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"summarizer {__version__}"


def test_argparse_errors_end_with_a_hint(capsys) -> None:
    assert main(["batch", "x.txt"]) == 2  # -o is required
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-2].startswith("summarizer: error: the following arguments are required: -o")
    assert err[-1].startswith("hint: ")


def test_markdown_brief_reads_like_a_briefing_note(capsys) -> None:
    assert main(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings")]) == 0
    brief = capsys.readouterr().out
    lines = brief.splitlines()
    assert lines[0] == "# Brief" and lines[2].startswith("> Replayed from authored response(s), not a live model call")
    assert not re.search(r"\[\d+[–-]\d+\]", brief)  # no raw character offsets
    assert "→ —" not in brief and "affects —" not in brief


def test_warnings_name_the_item_by_its_content() -> None:
    from summarizer.checks import finalize
    from summarizer.schema import Draft

    draft = Draft.model_validate({
        "summary": "s", "actors": [{"name": "Poland", "type": "state", "affiliation": None}],
        "positions": [
            {"actor": "Poland", "topic": "t", "stance": "support", "statement": "Warsaw backs it.", "evidence": ["nowhere"]},
            {"actor": "poland", "topic": "u", "stance": "oppose", "statement": "Warsaw objects.", "evidence": ["Poland said no."]},
        ],
        "proposals": [], "risks": [], "support_commitments": [],
    })  # fmt: skip
    _, warnings = finalize(draft, "Poland said no.", strict=False)
    assert warnings == [
        "positions “Warsaw backs it.”: dropped unlocated quote 'nowhere'",
        "positions “Warsaw backs it.”: dropped item with no grounded evidence",
        "positions “Warsaw objects.” (actor): actor 'poland' repaired to 'Poland'",
    ]


QUICK = [["schema"], ["eval", "--lint"], ["eval", "--predictions", "MISSING"], ["batch", str(SEED), "-o", "OUT", "--dry-run"],
         ["compare", "MISSING", "MISSING"], ["export", "MISSING", "-o", "OUT"], ["render", "MISSING", "MISSING", "-o", "OUT"]]
NOT_QUICK = [["summarize", "MISSING"], ["batch", str(SEED), "-o", "OUT", "--replay", "MISSING"]]


@pytest.mark.parametrize(("argv", "quick"), [(a, True) for a in QUICK] + [(a, False) for a in NOT_QUICK])
def test_a_quick_command_in_a_process_of_its_own_collects_cycles_less_often_but_still_collects(
    argv: list[str], quick: bool, tmp_path: Path, capsys
) -> None:
    import gc

    argv = [str(tmp_path / a) if a in ("OUT", "MISSING") else a for a in argv]
    before = gc.get_threshold()
    assert gc.isenabled()
    try:
        main(argv)
        assert gc.get_threshold() == before  # called in someone's process: the collector is left alone
        main(argv, own_process=True)  # the console script: the process ends with the command
        assert gc.isenabled()  # cycles a long run makes are still freed
        assert (gc.get_threshold()[0] == QUICK_GC_THRESHOLD) is quick
    finally:
        gc.set_threshold(*before)
