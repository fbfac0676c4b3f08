"""Seconds to `import torch` and to `import workshop_lib`, side by side in one run.

Each import runs in a fresh Python process (`-c`, timed inside it, so interpreter start-up is left
out), the two alternating so that both see the same machine state; one untimed warm-up of each first
fills the disk cache. A third process imports torch first and times `import workshop_lib` after it:
what the library adds on top of torch, without the process-to-process spread of torch's own import.
Prints the medians and writes them to build/import_time.json.

    python benchmarks/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("torch", "workshop_lib", "torch, then workshop_lib")
TIMED = "import time; {before}t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    """Seconds `import module` takes in a fresh Python process ("a, then b": b's, after a's)."""
    before, _, module = module.rpartition(", then ")
    code = TIMED.format(before=f"import {before}; " if before else "", module=module)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def measure(runs: int) -> dict:
    for module in MODULES:  # warm-up: the disk cache, compiled bytecode
        import_seconds(module)
    seconds: dict[str, list[float]] = {module: [] for module in MODULES}
    for _ in range(runs):
        for module in MODULES:
            seconds[module].append(import_seconds(module))
    medians = {module: statistics.median(values) for module, values in seconds.items()}
    return {
        "runs": runs,
        "seconds": seconds,
        "median_s": medians,
        "workshop_lib_minus_torch_s": medians["workshop_lib"] - medians["torch"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed imports of each module (default 7)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "import_time.json")
    args = parser.parse_args(argv)
    result = measure(args.runs)
    for module, median in result["median_s"].items():
        spread = result["seconds"][module]
        print(f"import {module:<25} median {median:.2f} s  (min {min(spread):.2f}, max {max(spread):.2f}, "
              f"{args.runs} runs)")
    print(f"workshop_lib - torch: {result['workshop_lib_minus_torch_s']:+.2f} s (goal: within 0.3 s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
