"""`python -m benchmarks` (`make bench`): every benchmark at its default size, one after another.

Each prints its own figures and ratios against a baseline measured in the same run. Run one alone
with `python -m benchmarks.<name> --help` for its options (sizes, 1M accounts, data locations).
"""
from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("generate_bench", "features_bench", "decide_bench", "reasons_bench", "nightly_bench")

if __name__ == "__main__":
    failed = 0
    for name in BENCHMARKS:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        failed |= subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *sys.argv[1:]]) != 0
    sys.exit(1 if failed else 0)
