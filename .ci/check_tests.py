#!/usr/bin/env python3
"""Check a pytest JUnit XML report against the collected test count and the skip allow-list.

    python3 .ci/check_tests.py --junit FILE --collected N --allow FILE

Fails (exit 1) when the report is missing or unreadable, when N is not positive, when the report
holds a different number of tests than were collected (executed + skipped != collected), when any
test failed or errored, or when a test was skipped (or xfailed) without a matching entry in the
allow-list. Prints one summary line, e.g.

    tests: 155 collected, 155 passed, 0 failed, 0 skipped (0 allowed)

Each allow-list entry is a Python regex that must match the whole of ``<test id> :: <reason>``,
where the test id is ``<classname>::<name>`` as the report spells it (``tests.test_x::test_y[p]``).
Stdlib only: it runs before and without the project's environment.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

SHOWN = 20  # problems listed; the rest are counted


@dataclass(frozen=True)
class Case:
    test_id: str
    outcome: str  # passed | failed | skipped
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.test_id} :: {self.reason}"


def read_allow_list(path: Path) -> list[re.Pattern[str]]:
    patterns = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            patterns.append(re.compile(line))
        except re.error as err:
            raise SystemExit(f"{path}:{number}: bad regex {line!r}: {err}") from None
    return patterns


def read_cases(path: Path) -> list[Case]:
    root = ET.parse(path).getroot()
    cases = []
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped")
        if bad is not None:
            cases.append(Case(test_id, "failed", bad.get("message", "")))
        elif skipped is not None:
            reason = skipped.get("message", "")
            if skipped.get("type") == "pytest.xfail":
                reason = f"xfail: {reason}"
            cases.append(Case(test_id, "skipped", reason))
        else:
            cases.append(Case(test_id, "passed"))
    return cases


def check(junit: Path, collected: int, allow: Path) -> list[str]:
    """The problems found; prints the summary line."""
    problems = []
    if collected <= 0:
        problems.append(f"collected {collected} tests: nothing to run")
    try:
        cases = read_cases(junit)
    except (OSError, ET.ParseError) as err:
        print(f"tests: {collected} collected, no readable JUnit report ({err})")
        return [*problems, f"cannot read {junit}: {err}"]
    patterns = read_allow_list(allow)

    passed = [c for c in cases if c.outcome == "passed"]
    failed = [c for c in cases if c.outcome == "failed"]
    skipped = [c for c in cases if c.outcome == "skipped"]
    allowed = [c for c in skipped if any(p.fullmatch(c.key) for p in patterns)]
    print(
        f"tests: {collected} collected, {len(passed)} passed, {len(failed)} failed, "
        f"{len(skipped)} skipped ({len(allowed)} allowed)"
    )

    if len(cases) != collected:
        problems.append(f"the report holds {len(cases)} tests but {collected} were collected")
    problems += [f"failed: {c.test_id}: {c.reason}" for c in failed]
    problems += [f"skipped, not allow-listed in {allow}: {c.key}" for c in skipped if c not in allowed]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--junit", type=Path, required=True, help="pytest --junitxml report")
    parser.add_argument("--collected", type=int, required=True, help="count from pytest --collect-only")
    parser.add_argument("--allow", type=Path, required=True, help="allow-list of skips, one regex per line")
    args = parser.parse_args(argv)
    problems = check(args.junit, args.collected, args.allow)
    for problem in problems[:SHOWN]:
        print(f"  FAIL {problem}", file=sys.stderr)
    if len(problems) > SHOWN:
        print(f"  ... and {len(problems) - SHOWN} more", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
