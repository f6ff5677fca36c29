"""Mutation testing: do the tests catch what they claim to? (issue #12, criterion 8)

Runs mutmut (3.x) over the modules whose rules the tests pin down, each module against its own fast
tests only (``MODULES``), then prints per module how many mutants there were, how many the tests
killed, how many survived, and the survival rate::

    uv run python scripts/mutation.py                       # all modules, from scratch
    uv run python scripts/mutation.py --module grounding    # one (or more) of them
    uv run python scripts/mutation.py --resume              # re-test only last run's survivors
    uv run python scripts/mutation.py --report              # print last run's table, run nothing
    uv run python scripts/mutation.py --show NAME           # one mutant's change, from the last run

The survival rate is (survived - equivalent) / mutants, where *survived* counts every mutant no test
failed on (including a mutant of code the module's tests never reach), and *equivalent* counts the
survivors listed in ``scripts/mutation-equivalent.txt``: mutants whose behaviour no test could tell
apart from the original, each with its mutated line and the reason. Timeouts and suspicious results
are shown but not counted as survivors (a mutant that makes a test hang was caught). The script exits
1 if any module's rate is above ``MAX_SURVIVAL``, or if an equivalent listing no longer matches its
mutant (the module changed: re-check it).

mutmut reads its configuration from ``pyproject.toml`` in the folder it runs in, and keeps its copy of
the project and its results in ``mutants/`` there. So each module runs in a folder of its own,
``mutants/modules/<name>/``, holding a copy of the package, tests and data, and a ``pyproject.toml``
that is this project's ``[tool.pytest.ini_options]`` and ``[tool.mutmut]`` with ``only_mutate`` and
the test selection set for the module. (A bare ``uv run mutmut run`` at the top uses
``[tool.mutmut]`` as it is: all the modules against all these tests at once.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants" / "modules"
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.txt"
MAX_SURVIVAL = 0.10

# module name -> (source file, the fast tests that pin it down)
MODULES: dict[str, tuple[str, list[str]]] = {
    "grounding": ("summarizer/grounding.py", ["tests/test_grounding.py"]),
    "checks": ("summarizer/checks.py", ["tests/test_checks.py"]),
    "matching": ("summarizer/evaluation/matching.py", ["tests/test_matching.py"]),
    "scoring": ("summarizer/evaluation/scoring.py", ["tests/test_scoring.py"]),
    "transport": ("summarizer/transport.py", ["tests/test_transport.py"]),
    "chunking": ("summarizer/chunking.py", ["tests/test_chunking.py"]),
}
COPIED = ("summarizer", "tests", "prompts", "seeds", "evals")  # what the package and these tests read

# mutmut's exit-code verdicts (mutmut.stats.status_by_exit_code), grouped for the table
KILLED = {1, 3}
SURVIVED = {0, 5, 33}  # 5 / 33: no test reached the mutant: nothing would notice it either
NOT_RUN = {None, 2, 34}  # not checked, interrupted, skipped
TYPE_CHECKED = {37}


@dataclass
class Result:
    name: str
    exit_codes: dict[str, int | None]
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant -> reason, for survivors listed
    seconds: float | None = None

    def count(self, codes: set[int | None]) -> int:
        return sum(1 for code in self.exit_codes.values() if code in codes)

    @property
    def total(self) -> int:
        return len(self.exit_codes)

    @property
    def survivors(self) -> list[str]:
        return sorted(k for k, code in self.exit_codes.items() if code in SURVIVED)

    @property
    def other(self) -> int:  # timeouts, suspicious, segfaults: caught, but not by a failing assertion
        known = KILLED | SURVIVED | NOT_RUN | TYPE_CHECKED
        return sum(1 for code in self.exit_codes.values() if code not in known)

    @property
    def rate(self) -> float:
        return (len(self.survivors) - len(self.equivalent)) / self.total if self.total else 0.0


# --------------------------------------------------------------------------- configuration


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _table(name: str, values: dict[str, Any]) -> str:
    return f"[{name}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())


def project_config() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def check_config(config: dict[str, Any]) -> None:
    """The top-level ``[tool.mutmut]`` (a bare ``mutmut run``) covers what this script runs."""
    mutmut = config["tool"]["mutmut"]
    sources = sorted(source for source, _ in MODULES.values())
    tests = sorted({t for _, files in MODULES.values() for t in files})
    if sorted(mutmut.get("only_mutate", [])) != sources or sorted(mutmut.get("pytest_add_cli_args_test_selection", [])) != tests:
        sys.exit(f"[tool.mutmut] in pyproject.toml should list only_mutate = {sources} "
                 f"and pytest_add_cli_args_test_selection = {tests} (scripts/mutation.py's MODULES)")  # fmt: skip


def prepare(name: str, config: dict[str, Any], *, fresh: bool) -> Path:
    """The module's folder: a copy of the project's package, tests and data, and its own mutmut configuration.

    Copies, not symbolic links: a link into the project from the git-ignored ``mutants/`` makes the sdist
    build (hatchling, which follows links) leave the linked folders out of the sdist. ``copy2`` keeps
    modification times, by which mutmut tells an unchanged source file on ``--resume``.
    """
    source, tests = MODULES[name]
    folder = WORK / name
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in COPIED:
        shutil.copytree(ROOT / entry, folder / entry, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    mutmut = dict(config["tool"]["mutmut"])
    mutmut["only_mutate"] = [source]
    mutmut["pytest_add_cli_args_test_selection"] = tests
    mutmut["use_git_change_detection"] = False  # the folder is not a checkout; runs start from scratch anyway
    pytest_options = config["tool"]["pytest"]["ini_options"]
    (folder / "pyproject.toml").write_text(
        "# Written by scripts/mutation.py for one module's mutation run; edit pyproject.toml instead.\n\n"
        + _table("tool.pytest.ini_options", pytest_options)
        + "\n"
        + _table("tool.mutmut", mutmut),
        encoding="utf-8",
    )
    return folder


# --------------------------------------------------------------------------- running and reading


def read_results(name: str) -> dict[str, int | None]:
    source, _ = MODULES[name]
    meta = WORK / name / "mutants" / (source + ".meta")
    if not meta.is_file():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return codes


def mutmut(folder: Path, args: list[str], log: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "mutmut"), *args]
    if log is None:
        return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, text=True, check=False)


def run_module(name: str, config: dict[str, Any], *, resume: bool, jobs: int) -> float:
    """Run mutmut over one module; returns the wall time in seconds."""
    previous = read_results(name) if resume else {}
    folder = prepare(name, config, fresh=not resume)
    survivors = [k for k, code in previous.items() if code in SURVIVED]
    args = ["run", "--max-children", str(jobs)]
    if resume and previous and not survivors:
        return 0.0
    if resume and survivors:
        args += survivors  # named mutants are re-tested; the others keep their verdicts
    started = time.monotonic()
    log = folder / "mutmut.log"
    done = mutmut(folder, args, log)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        sys.exit(f"mutmut failed on {name} (exit {done.returncode}); the end of {log}:\n{tail}")
    return seconds


# --------------------------------------------------------------------------- equivalent mutants


@dataclass(frozen=True)
class Listing:
    mutant: str
    line: str  # the mutated line, as ``mutmut show`` prints it after "+"
    reason: str


def read_equivalent() -> list[Listing]:
    """``scripts/mutation-equivalent.txt``: ``mutant | mutated line | reason`` per line, # comments."""
    listings = []
    for number, raw in enumerate(EQUIVALENT.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in raw.split(" | ")]
        if len(parts) != 3 or not all(parts):
            sys.exit(f"{EQUIVALENT}:{number}: expected 'mutant | mutated line | reason'")
        listings.append(Listing(*parts))
    return listings


def mutated_lines(folder: Path, mutant: str) -> list[str]:
    shown = mutmut(folder, ["show", mutant])
    return [line[1:].strip() for line in shown.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]


def apply_equivalent(result: Result, listings: list[Listing]) -> list[str]:
    """Mark the listed survivors of ``result`` equivalent; returns problems with the listing."""
    problems = []
    prefix = MODULES[result.name][0].removesuffix(".py").replace("/", ".") + "."
    folder = WORK / result.name
    for listing in (x for x in listings if x.mutant.startswith(prefix)):
        if listing.mutant not in result.exit_codes:
            problems.append(f"{listing.mutant}: no such mutant now (the module changed?)")
        elif listing.mutant not in result.survivors:
            problems.append(f"{listing.mutant}: listed as equivalent, but the tests kill it: drop the listing")
        elif listing.line not in mutated_lines(folder, listing.mutant):
            problems.append(f"{listing.mutant}: its mutated line is no longer {listing.line!r} (re-check it)")
        else:
            result.equivalent[listing.mutant] = listing.reason
    return problems


def show(mutant: str) -> int:
    for name, (source, _) in MODULES.items():
        if mutant.startswith(source.removesuffix(".py").replace("/", ".") + "."):
            shown = mutmut(WORK / name, ["show", mutant])
            print(shown.stdout + shown.stderr, end="")
            return shown.returncode
    print(f"{mutant}: not a mutant of {', '.join(source for source, _ in MODULES.values())}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- report


def table(results: list[Result]) -> str:
    head = ("module", "mutants", "killed", "survived", "timeout/susp.", "equivalent", "survival", "time")
    rows = [head]
    for r in results:
        rows.append((r.name, str(r.total), str(r.count(KILLED)), str(len(r.survivors)), str(r.other),
                     str(len(r.equivalent)), f"{r.rate:.1%}", "-" if r.seconds is None else f"{r.seconds:.0f}s"))  # fmt: skip
    total = Result("total", {f"{r.name}.{k}": v for r in results for k, v in r.exit_codes.items()})
    total.equivalent = {k: v for r in results for k, v in r.equivalent.items()}
    seconds = [r.seconds for r in results if r.seconds is not None]
    rows.append((total.name, str(total.total), str(total.count(KILLED)), str(len(total.survivors)), str(total.other),
                 str(len(total.equivalent)), f"{total.rate:.1%}", f"{sum(seconds):.0f}s" if seconds else "-"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="a module to run (repeatable; default all)")
    parser.add_argument("--resume", action="store_true", help="re-test only the survivors of the last run")
    parser.add_argument("--report", action="store_true", help="print the last run's results; run nothing")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once (default: cores)")
    parser.add_argument("--show", metavar="MUTANT", help="print one mutant's change (from the last run) and its verdict")
    args = parser.parse_args(argv)
    names = args.module or list(MODULES)
    if args.show:
        return show(args.show)

    config = project_config()
    check_config(config)
    listings = read_equivalent()
    results: list[Result] = []
    started = time.monotonic()
    for name in names:
        seconds = None
        if not args.report:
            print(f"mutating {MODULES[name][0]} against {' '.join(MODULES[name][1])} ...", flush=True)
            seconds = run_module(name, config, resume=args.resume, jobs=args.jobs)
        results.append(Result(name, read_results(name), seconds=seconds))
    wall = time.monotonic() - started

    problems = [p for r in results for p in apply_equivalent(r, listings)]
    print()
    print(table(results))
    if not args.report:
        print(f"\nwall time {wall / 60:.1f} min ({args.jobs} jobs)")
    for r in results:
        unlisted = [k for k in r.survivors if k not in r.equivalent]
        if unlisted or r.equivalent:
            print(f"\n{r.name}: {len(unlisted)} surviving, {len(r.equivalent)} equivalent (see one: --show NAME)")
        for k in unlisted:
            print(f"  survived    {k}")
        for k, reason in sorted(r.equivalent.items()):
            print(f"  equivalent  {k}: {reason}")
    missing = [r.name for r in results if not r.exit_codes or r.count(NOT_RUN)]
    failed = [r.name for r in results if r.rate > MAX_SURVIVAL]
    for p in problems:
        print(f"\nequivalent listing: {p}", file=sys.stderr)
    if missing:
        print(f"\nnot (fully) run: {', '.join(missing)}", file=sys.stderr)
    if failed:
        print(f"\nsurvival above {MAX_SURVIVAL:.0%}: {', '.join(failed)}", file=sys.stderr)
    return 1 if problems or missing or failed else 0


if __name__ == "__main__":
    sys.exit(main())
