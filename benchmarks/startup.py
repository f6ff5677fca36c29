"""Start-up time of whole CLI processes, each against baselines measured in the same run.

Commands that call no model (``--help``, ``schema``, ``eval --lint``, ``eval --predictions DIR``,
``compare DIR DIR``, ``export``, ``render``, ``batch --dry-run``) are compared with ``python -c "import
openai"``: none of them needs the SDK, and issue #10 asks each to take at most 0.3x of that import.
``compare`` scores both of its runs (the same saved predictions twice, the most it does), ``export``
and ``render`` read a results file of the shipped articles (made by a replay batch, not timed). The model command ``summarize --replay``
(the README's first command) is shown too, and with ``--baseline-lock REF`` it is measured a second
time with the dependencies locked at git ``REF`` (a throw-away venv built from that commit's
``uv.lock``, running this checkout's code), so that a dependency upgrade is judged in one run.

A round runs every command once, in an order rotated from round to round; each ratio is taken within
its round (a slow moment of the machine slows both sides), and the median over the rounds is printed
with the range (min-max) of the rounds. Wall time is the measure; CPU time (user + system, from the
process's own rusage) is printed beside it, being steadier on a busy machine. A warm-up run of every command comes first, with bytecode
caches allowed (even if ``PYTHONDONTWRITEBYTECODE`` is set), so imports are measured as an installed
package experiences them; the warm-up also records, with ``-X importtime``, whether each command
imported the openai SDK and instructor.

    uv run python benchmarks/startup.py [--repeat 7] [--baseline-lock REF]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "nato_rejects_missile_interception.txt"
REFERENCE = "import openai"
BARE = "python -c pass"
SDK = ("openai", "instructor")


@dataclass
class Command:
    name: str
    argv: list[str]
    offline: bool  # calls no model: held to the 0.3x budget against REFERENCE


def script(venv_python: Path) -> str:
    """The ``summarizer`` console script next to ``venv_python``."""
    found = venv_python.parent / "summarizer"
    if not found.exists():
        raise SystemExit(f"no summarizer console script next to {venv_python}; run through `uv run`")
    return str(found)


def commands(python: Path, work: Path) -> list[Command]:
    cli = script(python)
    replay = [cli, "summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "-o", os.devnull]
    return [
        Command(BARE, [str(python), "-c", "pass"], offline=False),
        Command(REFERENCE, [str(python), "-c", "import openai"], offline=False),
        Command("import summarizer", [str(python), "-c", "import summarizer"], offline=True),
        Command("summarizer --help", [cli, "--help"], offline=True),
        Command("schema", [cli, "schema"], offline=True),
        Command("eval --lint", [cli, "eval", "--lint"], offline=True),
        Command("eval --predictions", [cli, "eval", "--predictions", str(work / "pred")], offline=True),
        Command("compare", [cli, "compare", str(work / "pred"), str(work / "pred")], offline=True),
        Command("export", [cli, "export", str(work / "results.jsonl"), "-o", str(work / "export.db")], offline=True),
        Command("render", [cli, "render", str(work / "results.jsonl"), str(ROOT / "evals/articles"), "-o",
                           str(work / "site")], offline=True),
        Command("batch --dry-run", [cli, "batch", str(SEED), "-o", str(work / "dry.jsonl"), "--dry-run"], offline=True),
        Command("summarize --replay", replay, offline=False),
    ]


def baseline_commands(ref: str, work: Path) -> list[Command]:
    """``import openai`` and ``summarize --replay`` in a venv holding the dependencies locked at ``ref``."""
    python = baseline_venv(ref, work / "baseline")
    cli = script(python)
    replay = [cli, "summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "-o", os.devnull]
    return [
        Command(f"{REFERENCE} @{ref}", [str(python), "-c", "import openai"], offline=False),
        Command(f"summarize --replay @{ref}", replay, offline=False),
    ]


def baseline_venv(ref: str, where: Path) -> Path:
    """A venv with the runtime dependencies of ``ref``'s ``uv.lock`` and this checkout installed editable."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise SystemExit("--baseline-lock needs uv")
    where.mkdir(parents=True)
    for name in ("pyproject.toml", "uv.lock"):
        shown = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, check=True)
        (where / name).write_bytes(shown.stdout)
    def quiet(*argv: str, cwd: Path | None = None) -> None:
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    quiet(uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "-o", "requirements.txt", cwd=where)
    python = where / ".venv" / "bin" / "python"
    quiet(uv, "venv", "--python", sys.executable, str(where / ".venv"))
    quiet(uv, "pip", "install", "--python", str(python), "-r", str(where / "requirements.txt"))
    quiet(uv, "pip", "install", "--python", str(python), "--no-deps", "-e", str(ROOT))
    return python


def versions(python: Path) -> str:
    code = "import sys; from importlib.metadata import version as v; print(*(p + ' ' + v(p) for p in sys.argv[1:]), sep=', ')"
    return subprocess.run([str(python), "-c", code, *SDK], capture_output=True, text=True, check=True).stdout.strip()


def warm_up(cmds: Sequence[Command], env: dict[str, str]) -> dict[str, str]:
    """Run each command once (file and bytecode caches, as an installed package has), then once more
    under ``-X importtime`` (set through the environment, so console scripts report too): its report."""
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    reports: dict[str, str] = {}
    for c in cmds:
        subprocess.run(c.argv, env=warm, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = subprocess.run(c.argv, env={**warm, "PYTHONPROFILEIMPORTTIME": "1"}, check=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
        reports[c.name] = done.stderr
    return reports


def imports(report: str) -> dict[str, int]:
    """Top-level packages and our own modules in an importtime report: cumulative microseconds."""
    rows: dict[str, int] = {}
    for found in re.finditer(r"^import time:\s+\d+\s+\|\s+(\d+)\s+\|\s*(\S+)\s*$", report, re.MULTILINE):
        name = found.group(2)
        if name != "summarizer" and ("." not in name or name.startswith("summarizer.")):
            rows[name] = max(rows.get(name, 0), int(found.group(1)))
    return rows


@dataclass
class Times:
    wall: list[float]  # seconds
    cpu: list[float]  # user + system seconds of the process


def run_timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (its own rusage, from ``wait4``)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, argv)
    return wall, usage.ru_utime + usage.ru_stime


def measure(cmds: Sequence[Command], env: dict[str, str], repeat: int) -> dict[str, Times]:
    """``repeat`` rounds; each round runs every command once, in an order rotated from round to round."""
    times = {c.name: Times([], []) for c in cmds}
    for r in range(repeat):
        shift = r % len(cmds)
        for c in [*cmds[shift:], *cmds[:shift]]:
            wall, cpu = run_timed(c.argv, env)
            times[c.name].wall.append(wall)
            times[c.name].cpu.append(cpu)
    return times


def spread(values: Sequence[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    return [x / y for x, y in zip(a, b, strict=True)]


def report(cmds: Sequence[Command], times: dict[str, Times], reports: dict[str, str], repeat: int) -> None:
    ref = times[REFERENCE]
    print(f"start-up of whole processes: median (min-max) of {repeat} rounds; each ratio taken within its round")
    print(f"  {'command':<22}{'wall ms':>17} {'wall x ' + REFERENCE:>21} {'cpu x ' + REFERENCE:>21}  imports")
    for c in cmds:
        t = times[c.name]
        wall = ratios(t.wall, ref.wall)
        sdk = ", ".join(m for m in SDK if m in imports(reports[c.name])) or "-"
        verdict = ("  ok (<= 0.3x)" if statistics.median(wall) <= 0.3 else "  OVER 0.3x") if c.offline else ""
        print(f"  {c.name:<22}{spread([1000 * x for x in t.wall], '.0f'):>17} {spread(wall, '.2f'):>21} "
              f"{spread(ratios(t.cpu, ref.cpu), '.2f'):>21}  {sdk}{verdict}")  # fmt: skip


def compare(times: dict[str, Times], ref: str) -> None:
    for name in (REFERENCE, "summarize --replay"):
        new, old = times[name], times[f"{name} @{ref}"]
        print(f"  {name:<22} this lock / @{ref}: wall {spread(ratios(new.wall, old.wall), '.2f')}, "
              f"cpu {spread(ratios(new.cpu, old.cpu), '.2f')}; wall ms {spread([1000 * x for x in old.wall], '.0f')} "
              f"-> {spread([1000 * x for x in new.wall], '.0f')}")  # fmt: skip


def slowest_imports(reports: dict[str, str], names: Sequence[str], n: int = 6) -> None:
    """Where the import time of a few commands goes (one ``-X importtime`` run each, so only a guide)."""
    for name in names:
        rows = sorted(imports(reports[name]).items(), key=lambda kv: -kv[1])[:n]
        print(f"  slowest imports of `{name}` (cumulative ms): " + ", ".join(f"{k} {v / 1000:.0f}" for k, v in rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds (default: 7)")
    parser.add_argument("--baseline-lock", metavar="REF",
                        help="also time import openai and summarize --replay with the dependencies locked at git REF")  # fmt: skip
    args = parser.parse_args()
    env = dict(os.environ)
    python = Path(sys.executable)
    with tempfile.TemporaryDirectory(prefix="summarizer-startup-") as tmp:
        work = Path(tmp)
        # saved predictions for `eval --predictions` and `compare`, a results file for `export` and `render`
        # (made by replay runs, which are not timed)
        for made in (["eval", "--save-predictions", str(work / "pred")],
                     ["batch", str(ROOT / "evals/articles"), "-o", str(work / "results.jsonl"), "--replay",
                      str(ROOT / "evals/recordings")]):  # fmt: skip
            subprocess.run([script(python), *made], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
        cmds = commands(python, work)
        extra = baseline_commands(args.baseline_lock, work) if args.baseline_lock else []
        os.chdir(ROOT)  # eval's default gold and aliases paths
        reports = warm_up([*cmds, *extra], env)
        times = measure([*cmds, *extra], env, args.repeat)
        print(f"this lock: {versions(python)}")
        report(cmds, times, reports, args.repeat)
        if extra:
            print(f"lock @{args.baseline_lock}: {versions(Path(extra[0].argv[0]))}")
            compare(times, args.baseline_lock)
        slowest_imports(reports, ["eval --predictions", "summarize --replay"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
