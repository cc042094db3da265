"""Run benchmarks by name: `python -m bench` runs all, `python -m bench ingest` one."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def available() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and m.name != "common"
    )


def main(argv: list[str]) -> None:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s) {', '.join(unknown)}; have {', '.join(available())}"
        )
    for name in names:
        print(f"\n## {name}")
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
