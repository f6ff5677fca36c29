"""Start-up time: ``summarizer --help`` and ``import summarizer`` next to a bare ``python -c pass``.

Each command runs in a fresh interpreter several times in the same run; the median wall time is
printed with its ratio to the bare interpreter start. The slowest imports of ``import summarizer``
(``python -X importtime``) follow, to show where the time goes.

A warm-up run of each command comes first, with bytecode caches allowed (even if
``PYTHONDONTWRITEBYTECODE`` is set), so that imports are measured as an installed package
experiences them, not compiled from source.

    uv run python benchmarks/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import summarizer": [sys.executable, "-c", "import summarizer"],
    "summarizer --help": [shutil.which("summarizer") or str(Path(sys.executable).parent / "summarizer"), "--help"],
}


def median_wall(argv: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def table(env: dict[str, str], repeat: int) -> None:
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for argv in COMMANDS.values():  # warm-up: file cache and bytecode caches, as any installed package has
        subprocess.run(argv, env=warm, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls = {name: median_wall(argv, env, repeat) for name, argv in COMMANDS.items()}
    bare = walls["python -c pass"]
    print(f"start-up, median of {repeat} fresh interpreters each")
    for name, wall in walls.items():
        print(f"  {name:<20}{1000 * wall:8.0f} ms   {wall / bare:5.1f} x bare start")


def slowest_imports(env: dict[str, str], n: int = 8) -> None:
    """The packages (top-level names) and our own modules that ``import summarizer`` spends most on."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import summarizer"], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    rows: dict[str, int] = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|\s*(\S+)", line)
        if found and found.group(2) != "summarizer" and (
            "." not in found.group(2) or found.group(2).startswith("summarizer.")
        ):
            rows[found.group(2)] = max(rows.get(found.group(2), 0), int(found.group(1)))
    print("  slowest imports under `import summarizer` (cumulative, packages and our modules):")
    for name, cumulative in sorted(rows.items(), key=lambda kv: -kv[1])[:n]:
        print(f"    {cumulative / 1000:8.1f} ms  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    table(env, args.repeat)
    slowest_imports(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
