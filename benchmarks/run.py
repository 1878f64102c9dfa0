"""Run every benchmark in one process and print the figures side by side (``nox -s bench``).

Each ``bench_*.py`` module exposes ``run() -> dict[str, float]``; ratios are computed inside each
benchmark from measurements taken in the same run on the same machine.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results: dict[str, dict[str, float]] = {}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        print(f"== {name} ==", flush=True)
        figures = module.run()
        for key, value in figures.items():
            print(f"  {key:60s} {value:12.6g}")
        print(f"  ({time.perf_counter() - started:.1f} s)\n", flush=True)
        results[name] = figures
    (HERE.parent / "benchmark-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
