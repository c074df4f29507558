"""Small measurement helpers shared by the sections: capped child processes, op counts, slopes.

Naive ``sympy.diff`` can swell without bound, so it runs in a forked child that is
killed at a time cap; the parent then reports "cap" instead of waiting.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Callable, Optional

import sympy as sp


def cse_ops(exprs: list[sp.Expr]) -> int:
    """``count_ops`` of the CSE'd form: the size of the straight-line program, not of the tree."""
    replacements, reduced = sp.cse(exprs, order="none")  # canonical ordering is exponential on DAGs
    return int(sp.count_ops([r for _, r in replacements] + list(reduced)))


def _child(queue, fn, args):
    import sys

    sys.setrecursionlimit(20000)  # sympy.diff recurses once per nesting level
    try:
        queue.put(("ok", fn(*args)))
    except BaseException as error:  # report, never hang the parent
        queue.put(("error", repr(error)))


def capped(fn: Callable, args: tuple, cap: float) -> tuple[str, object]:
    """Run ``fn(*args)`` in a forked child: ("ok", result), ("cap", None) past ``cap`` seconds,
    ("error", message) if it raised, ("crashed", exit code) if it died (e.g. a C stack overflow)."""
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, fn, args), daemon=True)
    process.start()
    deadline = time.monotonic() + cap
    while True:
        try:
            status, value = queue.get(timeout=0.2)
            process.join()
            return status, value
        except Exception:  # queue.Empty
            if not process.is_alive() and queue.empty():
                return "crashed", process.exitcode
            if time.monotonic() > deadline:
                process.kill()
                process.join()
                return "cap", None


def fit_slope(xs: list[float], ys: list[float]) -> Optional[float]:
    """Least-squares slope of log y against log x (1 means linear scaling)."""
    import numpy as np

    points = [(x, y) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(points) < 2:
        return None
    lx, ly = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return float(np.polyfit(lx, ly, 1)[0])
