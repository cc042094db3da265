"""Benchmarks: ``python -m bench`` runs every ``bench/<topic>.py`` that has a ``main()``;
``python -m bench <topic> [options]`` runs one."""
