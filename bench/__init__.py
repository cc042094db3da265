"""Benchmarks: `make bench` (all) or `python -m bench NAME…`. Results go to BENCHMARKS.md."""
