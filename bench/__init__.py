"""The benchmark suite: run it with ``scripts/bench`` (see docs/benchmarks.md)."""
