"""Section 1: derivation scaling — symdl's graph + reverse-mode gradients vs naive ``sympy.diff``.

symdl time is the best of a first (cold) call and 3 repeats (warm SymPy cache); the
speedup over naive diff uses the cold first call, the conservative one. symdl time is ``build_graph`` (granularity "fused", as the kernels use) plus
``gradient_expressions`` for every parameter. Naive time is ``sympy.diff`` of the flat
expression w.r.t. every parameter, in a forked child killed at ``CAP`` seconds; after the
first size over the cap a family reports "cap" for the larger sizes without running them.
Operation counts are ``count_ops`` after ``cse`` for both, so shared subtrees count once.
"""

from __future__ import annotations

import time
import tracemalloc

import sympy as sp

import symdl
from symdl import graph as graphs
from symdl.backprop import gradient_expressions

from bench.cases import FAMILIES
from bench.common import best_of, capped, cse_ops, fit_slope, timed

CAP = 20.0  # seconds per size for naive diff (+ its CSE count)
REPEATS = 3


def symdl_gradients(expr: sp.Expr, params: list[sp.Symbol]):
    graph = symdl.build_graph(expr, "fused")
    missing = set(map(str, params)) - set(graphs.inputs(graph))
    if missing:
        raise RuntimeError(f"parameters not in the graph: {sorted(missing)[:5]}")
    return graph, gradient_expressions(graph, [str(p) for p in params])


def _naive(family: str, size: int) -> dict:
    build, *_ = FAMILIES[family]
    expr, params = build(size)
    start = time.perf_counter()
    grads = [sp.diff(expr, p) for p in params]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "ops": cse_ops(grads)}


def measure(family: str, size: int, run_naive: bool) -> dict:
    build, _, _ = FAMILIES[family]
    expr, params = build(size)
    cold, (graph, grads) = timed(lambda: symdl_gradients(expr, params))  # first call, as naive diff gets
    seconds = min(cold, best_of(lambda: symdl_gradients(expr, params), REPEATS))  # warm SymPy cache
    forward_ops = cse_ops([graph.graph["expression"]])
    row = {"family": family, "size": size, "params": len(params), "nodes": graph.number_of_nodes(),
           "symdl_s": seconds, "symdl_cold_s": cold, "grad_ops": cse_ops(grads), "forward_ops": forward_ops,
           "forward_ops_flat": cse_ops([expr])}
    row["grad_over_forward"] = row["grad_ops"] / forward_ops
    status, naive = capped(_naive, (family, size), CAP) if run_naive else ("cap", None)
    if status == "ok":
        row.update(naive_s=naive["seconds"], naive_ops=naive["ops"], speedup=naive["seconds"] / cold)
    else:  # over the cap: the speedup is at least cap / symdl time
        detail = "cap" if status == "cap" else f"{status}: {naive}"
        row.update(naive_s=detail, naive_ops=detail,
                   speedup=f">{CAP / cold:.0f}" if status == "cap" else "n/a")
    return row


def run(log=print) -> dict:
    rows, slopes = [], {}
    for family, (_, sizes, label) in FAMILIES.items():
        naive_ok = True
        for size in sizes:
            row = measure(family, size, naive_ok)
            row["label"] = label
            naive_ok = not isinstance(row["naive_s"], str)
            rows.append(row)
            naive = row["naive_s"] if isinstance(row["naive_s"], str) else f"{row['naive_s']:.3f}s"
            log(f"  {family:14s} {label}={size:<3d} nodes={row['nodes']:<5d} symdl {row['symdl_s']:.3f}s "
                f"grad/fwd ops {row['grad_ops']}/{row['forward_ops']} = {row['grad_over_forward']:.2f}  "
                f"naive {naive} ops {row['naive_ops']}")
        mine = [r for r in rows if r["family"] == family]
        slopes[family] = fit_slope([r["nodes"] for r in mine], [r["symdl_s"] for r in mine])
    return {"rows": rows, "slopes": slopes, "cap_s": CAP}


def memory() -> list[dict]:
    """tracemalloc peak of the derivation at each family's largest size (tracing slows it; timed apart)."""
    out = []
    for family, (build, sizes, label) in FAMILIES.items():
        expr, params = build(sizes[-1])
        tracemalloc.start()
        graph, grads = symdl_gradients(expr, params)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out.append({"what": f"derivation {family} {label}={sizes[-1]}", "peak_bytes": peak,
                    "nodes": graph.number_of_nodes()})
    return out
