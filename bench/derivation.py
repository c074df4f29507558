"""Section 1: derivation scaling — symdl's graph + reverse-mode gradient program vs naive ``sympy.diff``.

symdl time is ``build_graph`` (granularity "fused", as the kernels use) of what the family gives
symdl (the expression, or named steps for unrolled cells), plus ``gradient_program`` for every
parameter: the straight-line program, a symbol per intermediate, that a kernel is compiled
from. Each run starts from an empty SymPy cache (so a repeat is not a cache lookup) with the
garbage collector paused; the time (CPU time, ``CLOCK``, for both peers) is the best of ``REPEATS``
runs, and the speedup over naive diff uses the first run. Naive time is ``sympy.diff`` of the flat expression w.r.t. every
parameter, in a forked child (building the flat expression, diff and its op count) killed at
``CAP`` seconds; after the first size over the cap a family reports "cap" for larger sizes.
Operation counts are ``count_ops`` after ``cse``: of the gradient program (forward and adjoint
assignments) for symdl, of its forward assignments for the forward pass, of the gradients for naive.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import sympy as sp
from sympy.core.cache import clear_cache

import symdl
from symdl import graph as graphs
from symdl.backprop import gradient_program

from bench.cases import FAMILIES
from bench.common import capped, cse_ops, fit_slope

CAP = 20.0  # seconds per size for naive diff (+ its CSE count), wall time
#: CPU time: on the shared 2-core machine wall time measured the neighbours (load average 6–15 while
#: these were written); both peers run single-threaded SymPy, so CPU time is the work each does.
CLOCK = time.process_time
CAP_AT = {("sigmoid chain", 32): 150.0}  # long enough to show the ≥ 500× target at depth 32
REPEATS = 3


def symdl_gradients(source, params: list[sp.Symbol]):
    """The graph and its gradient program: (graph, assignments, one gradient per parameter)."""
    graph = symdl.build_graph(source, "fused")
    missing = set(map(str, params)) - set(graphs.inputs(graph))
    if missing:
        raise RuntimeError(f"parameters not in the graph: {sorted(missing)[:5]}")
    steps, gradients = gradient_program(graph, [str(p) for p in params])
    return graph, steps, gradients


def fresh_run(fn):
    """(CPU seconds, result) of one call from an empty SymPy cache, the garbage collector paused."""
    clear_cache()
    gc.collect()
    gc.disable()
    try:
        start = CLOCK()
        result = fn()
        return CLOCK() - start, result
    finally:
        gc.enable()


def forward_ops(graph) -> int:
    return cse_ops([graph.nodes[n]["expr"] for n in graphs.op_nodes(graph)])


def _naive(family: str, size: int) -> dict:
    expr, params = FAMILIES[family].naive(size)
    clear_cache()  # as for symdl: the expression is built, the cache is empty
    start = CLOCK()
    grads = [sp.diff(expr, p) for p in params]
    seconds = CLOCK() - start
    return {"seconds": seconds, "ops": cse_ops(grads), "forward_ops": cse_ops([expr]), "params": len(params)}


def measure(family: str, size: int, run_naive: bool) -> dict:
    source, params = FAMILIES[family].symdl(size)
    cold, (graph, steps, grads) = fresh_run(lambda: symdl_gradients(source, params))
    seconds = min([cold] + [fresh_run(lambda: symdl_gradients(source, params))[0] for _ in range(REPEATS - 1)])
    row = {"family": family, "size": size, "params": len(params), "nodes": graph.number_of_nodes(),
           "program_lines": len(steps), "symdl_s": seconds, "symdl_cold_s": cold,
           "grad_ops": cse_ops([rhs for _, rhs in steps]), "forward_ops": forward_ops(graph)}
    row["grad_over_forward"] = row["grad_ops"] / row["forward_ops"]
    cap = CAP_AT.get((family, size), CAP)
    status, naive = capped(_naive, (family, size), cap) if run_naive else ("cap", None)
    row["naive_cap_s"] = cap
    if status == "ok":
        if naive["params"] != len(params):
            raise RuntimeError(f"{family} {size}: naive differentiates {naive['params']} parameters, "
                               f"symdl {len(params)}")
        row.update(naive_s=naive["seconds"], naive_ops=naive["ops"], forward_ops_flat=naive["forward_ops"],
                   speedup=naive["seconds"] / cold)
    else:  # over the cap (or not run): the speedup is at least cap / symdl time
        detail = "cap" if status == "cap" else f"{status}: {naive}"
        row.update(naive_s=detail, naive_ops=detail, forward_ops_flat=detail,
                   speedup=f">{cap / cold:.0f}" if status == "cap" and run_naive else "n/a")
    return row


def run(log=print) -> dict:
    rows, slopes = [], {}
    for family, spec in FAMILIES.items():
        naive_ok = True
        for size in spec.sizes:
            row = measure(family, size, naive_ok)
            row["label"] = spec.label
            naive_ok = not isinstance(row["naive_s"], str)
            rows.append(row)
            naive = row["naive_s"] if isinstance(row["naive_s"], str) else f"{row['naive_s']:.3f}s"
            log(f"  {family:14s} {spec.label}={size:<3d} nodes={row['nodes']:<5d} symdl {row['symdl_s']:.4f}s "
                f"(first {row['symdl_cold_s']:.4f}s)  grad/fwd ops {row['grad_ops']}/{row['forward_ops']} "
                f"= {row['grad_over_forward']:.2f}  naive {naive} ops {row['naive_ops']}", flush=True)
        mine = [r for r in rows if r["family"] == family]
        slopes[family] = fit_slope([r["nodes"] for r in mine], [r["symdl_s"] for r in mine])
    return {"rows": rows, "slopes": slopes, "cap_s": CAP, "cap_at": {f"{f} {s}": c for (f, s), c in CAP_AT.items()}}


def memory() -> list[dict]:
    """tracemalloc peak of the derivation at each family's largest size (tracing slows it; timed apart)."""
    out = []
    for family, spec in FAMILIES.items():
        source, params = spec.symdl(spec.sizes[-1])
        clear_cache()
        tracemalloc.start()
        graph, steps, grads = symdl_gradients(source, params)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out.append({"what": f"derivation {family} {spec.label}={spec.sizes[-1]}", "peak_bytes": peak,
                    "nodes": graph.number_of_nodes()})
    return out
