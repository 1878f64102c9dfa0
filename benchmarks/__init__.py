"""Benchmarks for caiso-pki, run by ``nox -s bench`` (``python benchmarks/run.py``)."""
