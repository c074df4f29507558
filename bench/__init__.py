"""symdl's benchmark suite (issue 6): run it with ``python -m bench.run`` or ``make bench``.

Benchmarks, not tests: nothing here asserts a time. ``tests/test_bench_smoke.py``
only checks that the expressions the bench times give the same numbers everywhere.
"""
