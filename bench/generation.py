"""Section 4: kernel *generation* time — ``symdl.kernel`` against its own derivation (graph + program).

Each family is given to symdl as named steps (a sigmoid chain of depth 8…256, LSTM cells unrolled
T = 1…16 with H = 1 and H = 4), the way a student writes them. Per size, the derivation
(:func:`bench.derivation.symdl_gradients`) and the kernel (``symdl.kernel`` with every parameter
in ``wrt``, which builds its own graph and program, then prints and compiles one line per step)
are timed in turns, each from an empty SymPy cache with the garbage collector paused, in CPU time
(:data:`bench.derivation.CLOCK`); the median of ``REPEATS`` runs is kept. The log-log slope of kernel time against graph nodes is fitted per
family (target ≤ 1.15), against nodes and against edges: an unrolled cell's parameters are leaves
whose number hardly grows with T (at T = 1 with h₀ = 0 the recurrent weights are not even used),
so per node the small sizes have fewer ops; the work is linear in op nodes and edges. Each size
reports kernel ÷ derivation (target ≤ 5×). The same run
times naive ``sympy.diff`` at chain depth 16 against symdl's derivation (target ≥ 100×).
"""

from __future__ import annotations

import statistics
from functools import partial

import symdl

from bench import derivation
from bench.cases import chain_steps, lstm_steps
from bench.common import fit_slope

REPEATS = 5
FAMILIES = {
    "sigmoid chain": (chain_steps, [8, 16, 32, 64, 128, 256], "depth"),
    "LSTM (H=1)": (partial(lstm_steps, hidden=1), [1, 2, 4, 8, 16], "T"),
    "LSTM (H=4)": (partial(lstm_steps, hidden=4), [1, 2, 4, 8, 16], "T"),
}


def measure(family: str, size: int) -> dict:
    make, _, label = FAMILIES[family]
    source, params = make(size)
    wrt = [str(p) for p in params]
    derive_s, kernel_s = [], []
    for _ in range(REPEATS):  # in turns, so a burst of load on the shared machine hits both alike
        seconds, (graph, steps, _) = derivation.fresh_run(lambda: derivation.symdl_gradients(source, params))
        derive_s.append(seconds)
        seconds, compiled = derivation.fresh_run(lambda: symdl.kernel(source, wrt=wrt))
        kernel_s.append(seconds)
    row = {"family": family, "label": label, "size": size, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
           "program_lines": len(steps), "kernel_lines": len(compiled.program),
           "derivation_s": statistics.median(derive_s), "kernel_s": statistics.median(kernel_s)}
    row["kernel_over_derivation"] = row["kernel_s"] / row["derivation_s"]
    return row


def run(log=print) -> dict:
    rows, slopes, edge_slopes = [], {}, {}
    for family, (_, sizes, label) in FAMILIES.items():
        for size in sizes:
            row = measure(family, size)
            rows.append(row)
            log(f"  {family:14s} {label}={size:<3d} nodes={row['nodes']:<5d} derivation {row['derivation_s']:.4f}s "
                f"kernel {row['kernel_s']:.4f}s = {row['kernel_over_derivation']:.2f}×  "
                f"lines {row['kernel_lines']}", flush=True)
        mine = [r for r in rows if r["family"] == family]
        slopes[family] = fit_slope([r["nodes"] for r in mine], [r["kernel_s"] for r in mine])
        edge_slopes[family] = fit_slope([r["edges"] for r in mine], [r["kernel_s"] for r in mine])
        log(f"  {family}: log-log slope of kernel generation time vs nodes {slopes[family]:.2f}, "
            f"vs edges {edge_slopes[family]:.2f}", flush=True)
    naive = derivation.measure("sigmoid chain", 16, True)
    log(f"  naive sympy.diff at chain depth 16: {naive['naive_s']}s, symdl derivation {naive['symdl_cold_s']:.4f}s "
        f"(first run): {naive['speedup']}×", flush=True)
    return {"rows": rows, "slopes": slopes, "edge_slopes": edge_slopes, "repeats": REPEATS,
            "naive_chain16": {k: naive[k] for k in ("naive_s", "symdl_cold_s", "symdl_s", "speedup")}}


def summary(generation: dict) -> list[tuple[str, str, str]]:
    """(measure, value, target met?) rows for the README table."""
    out = []
    for family, slope in generation["slopes"].items():
        out.append((f"kernel generation: log-log slope vs nodes, {family}", f"{slope:.2f}",
                    f"{'yes' if slope <= 1.15 else 'no'} (≤ 1.15)"))
    for family, slope in generation.get("edge_slopes", {}).items():
        out.append((f"kernel generation: log-log slope vs edges, {family}", f"{slope:.2f}",
                    f"{'yes' if slope <= 1.15 else 'no'} (≤ 1.15)"))
    worst = max(generation["rows"], key=lambda r: r["kernel_over_derivation"])
    out.append(("kernel generation ÷ derivation, worst case",
                f"{worst['kernel_over_derivation']:.2f}× ({worst['family']} {worst['label']}={worst['size']})",
                f"{'yes' if worst['kernel_over_derivation'] <= 5 else 'no'} (≤ 5×)"))
    largest = {}
    for r in generation["rows"]:
        largest[r["family"]] = r
    for family, r in largest.items():
        out.append((f"kernel generation, {family} {r['label']}={r['size']} (s)",
                    f"{r['kernel_s']:.2f} (derivation {r['derivation_s']:.2f})", "—"))
    speedup = generation["naive_chain16"]["speedup"]
    at_least = speedup if isinstance(speedup, float) else float(speedup[1:]) if speedup.startswith(">") else 0.0
    met = at_least >= 100  # past naive diff's cap, the speedup is at least cap ÷ symdl's time
    out.append(("derivation speedup vs naive diff, chain depth 16 (same run)",
                f"{speedup:.0f}×" if isinstance(speedup, float) else f"{speedup}× (cap)",
                f"{'yes' if met else 'no'} (≥ 100×)"))
    return out
