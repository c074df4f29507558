"""Section 2: canonical simplification — each unary function op's raw SymPy derivative
(``diff`` of its elementary definition, e.g. tanh's exponential quotient) brought to
textbook form by ``symdl.rewrite.canonical``, against ``sympy.simplify`` on the same input.

"Reaches" means structurally equal to the registry's ``local`` (the canonical derivative
with ``out`` replaced by the op itself); equal-in-value is not enough for a textbook form.
"""

from __future__ import annotations

import time

import sympy as sp

from symdl.ops import REGISTRY
from symdl.rewrite import canonical

from bench.common import capped

CAP = 10.0  # seconds for one sympy.simplify
x = sp.Symbol("x", real=True)


def raw_derivative(op) -> tuple[sp.Expr, sp.Expr]:
    forward = op.forward((x,), None)
    if forward.func is sp.tanh:
        elementary = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))
    elif hasattr(forward, "_elementary"):
        elementary = forward._elementary(*forward.args)
    else:
        elementary = forward
    return forward, sp.diff(elementary, x)


def _simplify(name: str) -> dict:
    op = REGISTRY[name]
    forward, raw = raw_derivative(op)
    start = time.perf_counter()
    result = sp.simplify(raw)
    return {"seconds": time.perf_counter() - start, "result": str(result), "ops": int(sp.count_ops(result)),
            "reaches": result == op.local(forward, (x,), None)[0]}


def run(log=print) -> list[dict]:
    rows = []
    for name, op in REGISTRY.items():
        if not (op.function and op.arity == 1):
            continue
        forward, raw = raw_derivative(op)
        target = op.local(forward, (x,), None)[0]
        start = time.perf_counter()
        result = canonical(raw)
        seconds = time.perf_counter() - start
        status, simp = capped(_simplify, (name,), CAP)
        row = {"op": name, "raw": str(raw), "raw_ops": int(sp.count_ops(raw)), "target": str(target),
               "canonical": str(result), "canonical_ms": seconds * 1e3, "canonical_reaches": result == target,
               "canonical_ops": int(sp.count_ops(result)),
               "simplify_s": simp["seconds"] if status == "ok" else status,
               "simplify": simp["result"] if status == "ok" else status,
               "simplify_ops": simp["ops"] if status == "ok" else status,
               "simplify_reaches": simp["reaches"] if status == "ok" else False}
        rows.append(row)
        took = row["simplify_s"] if isinstance(row["simplify_s"], str) else f"{row['simplify_s'] * 1e3:.1f} ms"
        log(f"  {name:10s} canonical {row['canonical_ms']:6.2f} ms reaches={row['canonical_reaches']!s:5s} "
            f"simplify {took} "
            f"reaches={row['simplify_reaches']!s:5s} → {row['simplify']}")
    return rows
