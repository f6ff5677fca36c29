""".ci/check_tests.py: CI fails unless every collected test ran, passed, or was skipped by the allow-list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SCRIPT = ROOT / ".ci" / "check_tests.py"
PASSED = '<testcase classname="tests.test_a" name="{name}" time="0.001" />'
SKIPPED = (
    '<testcase classname="tests.test_a" name="{name}" time="0.000">'
    '<skipped type="pytest.skip" message="{reason}">tests/test_a.py:3: {reason}</skipped></testcase>'
)
FAILED = (
    '<testcase classname="tests.test_a" name="{name}" time="0.001">'
    '<failure message="assert 0">E   assert 0</failure></testcase>'
)


def junit(tmp_path: Path, *cases: str) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">'
        + "".join(cases)
        + "</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def allow(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "allowed-skips.txt"
    path.write_text("# format comment\n\n" + "".join(f"{e}\n" for e in entries), encoding="utf-8")
    return path


def run(report: Path, collected: int, allow_list: Path) -> subprocess.CompletedProcess[str]:
    args = ["--junit", str(report), "--collected", str(collected), "--allow", str(allow_list)]
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_all_passed_is_ok_and_summarised(tmp_path: Path) -> None:
    report = junit(tmp_path, PASSED.format(name="test_one"), PASSED.format(name="test_two[x]"))
    result = run(report, 2, allow(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tests: 2 collected, 2 passed, 0 failed, 0 skipped (0 allowed)"


def test_an_unlisted_skip_fails(tmp_path: Path) -> None:
    report = junit(tmp_path, PASSED.format(name="test_one"), SKIPPED.format(name="test_two", reason="needs chromium"))
    result = run(report, 2, allow(tmp_path, r"tests\.test_a::test_other :: needs chromium"))
    assert result.returncode != 0
    assert "1 skipped (0 allowed)" in result.stdout
    assert "tests.test_a::test_two :: needs chromium" in result.stderr


def test_fewer_executed_than_collected_fails(tmp_path: Path) -> None:
    report = junit(tmp_path, PASSED.format(name="test_one"), PASSED.format(name="test_two"))
    result = run(report, 3, allow(tmp_path))
    assert result.returncode != 0
    assert "2 tests but 3 were collected" in result.stderr


def test_an_allow_listed_skip_is_ok(tmp_path: Path) -> None:
    report = junit(tmp_path, PASSED.format(name="test_one"), SKIPPED.format(name="test_win", reason="POSIX only"))
    result = run(report, 2, allow(tmp_path, r"tests\.test_a::test_win :: POSIX only"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tests: 2 collected, 1 passed, 0 failed, 1 skipped (1 allowed)"


def test_a_failure_nothing_collected_or_no_report_fails(tmp_path: Path) -> None:
    assert run(junit(tmp_path, FAILED.format(name="test_one")), 1, allow(tmp_path)).returncode != 0
    assert run(junit(tmp_path), 0, allow(tmp_path)).returncode != 0
    assert run(tmp_path / "missing.xml", 1, allow(tmp_path)).returncode != 0


def test_the_committed_allow_list_parses_and_does_not_excuse_the_browser_test(tmp_path: Path) -> None:
    report = junit(
        tmp_path,
        SKIPPED.format(
            name="test_html_report_highlights_evidence_and_marks_items_in_a_browser",
            reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
        ).replace("tests.test_a", "tests.test_html_report"),
    )
    result = run(report, 1, ROOT / ".ci" / "allowed-skips.txt")
    assert result.returncode != 0
    assert "(0 allowed)" in result.stdout
