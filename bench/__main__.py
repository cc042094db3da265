"""Run the benchmarks: every module in this package with a ``main(argv)``, or the one
named first on the command line (its options follow)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def topics() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def run() -> int:
    args = sys.argv[1:]
    chosen = [args.pop(0)] if args and args[0] in topics() else topics()
    status = 0
    for topic in chosen:
        module = importlib.import_module(f"bench.{topic}")
        if hasattr(module, "main"):
            print(f"\n=== bench {topic}")
            status = max(status, int(module.main(args) or 0))
    return status


if __name__ == "__main__":
    sys.exit(run())
