"""One command for the whole benchmark (issue 6): ``python -m bench.run`` or ``make bench``.

Runs the seven sections (derivation, canonical forms, kernel speed, kernel generation, eager tensor
networks, memory, issue 13's bombs) in one process, prints the tables, writes ``bench/results.json``
and ``figures/bench_scaling.svg``, ``figures/bench_kernels.svg``. Targets are reported, not asserted.
``python -m bench.run --only kernels`` reruns the kernel throughput (and the kernels' memory) alone,
``--only generation`` the kernel generation times, ``--only eager`` the eager tensor networks against
PyTorch eager, ``--only bombs`` the time each slow bomb takes to be answered or refused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

if __package__ in (None, ""):  # ``python bench/run.py``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import bombs, canonical, derivation, eager, generation, kernels, plots  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results.json")
#: The headings of the sections that ``--only`` can rerun alone.
GENERATION = "4. kernel generation (symdl.kernel vs its derivation, named steps)"
EAGER = f"5. eager tensor networks, forward + backward, {eager.THREADS} thread(s) each"
BOMBS = f"7. slow bombs, answered or refused (target ≤ {bombs.TARGET_SECONDS:.0f} s each, in-process)"


def _row(rows, family, size):
    return next(r for r in rows if r["family"] == family and r["size"] == size)


def summary(results: dict) -> list[tuple[str, str, str]]:
    """(measure, value, target met?) — the README table."""
    d, k, c = results["derivation"], results["kernels"], results["canonical"]
    out = []
    worst = max(r["grad_over_forward"] for r in d["rows"])
    out.append(("gradient ops / forward ops, worst over all sizes", f"{worst:.2f}", "yes (≤ 3)" if worst <= 3 else "no (≤ 3)"))
    for family, slope in d["slopes"].items():
        out.append((f"log-log slope of symdl time vs nodes, {family}", f"{slope:.2f}",
                    "yes (≈ 1)" if slope <= 1.2 else "no (≈ 1)"))
    for depth, target in ((16, 50), (32, 500)):
        r = _row(d["rows"], "sigmoid chain", depth)
        s = r["speedup"]
        met = (s >= target) if isinstance(s, float) else (float(s[1:]) >= target if s.startswith(">") else False)
        out.append((f"speedup vs naive diff, chain depth {depth}", f"{s:.0f}×" if isinstance(s, float) else f"{s}× (cap)",
                    f"{'yes' if met else 'no'} (≥ {target}×)"))
    slowest = max(r["canonical_ms"] for r in c)
    out.append(("canonical form, slowest op (ms)", f"{slowest:.2f}", "yes (≤ 10)" if slowest <= 10 else "no (≤ 10)"))
    misses = [r["op"] for r in c if not r["canonical_reaches"]]
    out.append(("ops where canonical() misses the registry form", ", ".join(misses) or "none", "—"))
    smisses = [r["op"] for r in c if not r["simplify_reaches"]]
    out.append(("ops where sympy.simplify misses it", ", ".join(smisses) or "none", "—"))
    return (out + kernel_summary(k) + (generation.summary(results["generation"]) if "generation" in results else [])
            + (eager.summary(results["eager"]) if "eager" in results else [])
            + (bombs.summary(results["bombs"]) if "bombs" in results else []))


#: symdl's speed ÷ JAX's that issue 11 asks for: at most JAX's time, 1.5× it on the LSTM step.
JAX_TARGETS = {"sigmoid neuron": ("1", 1.0), "chain depth 8": ("1", 1.0), "LSTM step (H=1)": ("1/1.5", 1 / 1.5)}


def kernel_summary(k: dict) -> list[tuple[str, str, str]]:
    """symdl's speed ÷ each peer's, by default (the target's judge) and on one thread."""
    out = []
    for row in k["rows"]:
        for peer in ("naive lambdify", "PyTorch eager", "JAX jit(vmap(grad))", "fused NumPy"):
            other = row[peer]
            if not isinstance(other, float):
                out.append((f"{row['case']}: symdl vs {peer}", other, "—"))
                continue
            ratio, single = other / row["symdl"], other / row["symdl 1 thread"]
            jax = JAX_TARGETS.get(row["case"])
            target = {"naive lambdify": ("≥ 5×", ratio >= 5) if row["case"] == "chain depth 8" else None,
                      "PyTorch eager": ("≥ 3×", ratio >= 3),
                      "JAX jit(vmap(grad))": None if jax is None else (f"≥ {jax[0]}×", ratio >= jax[1])}.get(peer)
            met = "—" if target is None else f"{'yes' if target[1] else 'no'} ({target[0]})"
            out.append((f"{row['case']}: symdl speed ÷ {peer}", f"{ratio:.2f}× (1 thread {single:.2f}×)", met))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["kernels", "generation", "eager", "bombs"],
                        help="rerun one section and replace its part of bench/results.json, keeping the rest")
    only = parser.parse_args(argv).only
    if only == "kernels":
        return only_kernels()
    if only == "generation":
        return only_generation()
    if only == "eager":
        return only_eager()
    if only == "bombs":
        return only_bombs()
    start = time.perf_counter()
    results = {"machine": machine()}
    print("1. derivation scaling (symdl vs naive sympy.diff, cap %.0f s)" % derivation.CAP)
    results["derivation"] = derivation.run()
    print("2. canonical simplification (symdl.rewrite.canonical vs sympy.simplify)")
    results["canonical"] = canonical.run()
    print(f"3. kernels, N = {kernels.N:,}")
    results["kernels"] = kernels.run()
    print(GENERATION)
    results["generation"] = generation.run()
    print(EAGER)
    results["eager"] = eager.run()
    print("6. memory (tracemalloc peaks)")
    results["memory"] = derivation.memory() + kernels.memory()
    for m in results["memory"]:
        extra = f" (inputs + outputs {m['inputs_outputs_bytes'] / 1e6:.0f} MB)" if "inputs_outputs_bytes" in m else ""
        print(f"  {m['what']}: peak {m['peak_bytes'] / 1e6:.1f} MB{extra}")
    print(BOMBS)
    results["bombs"] = bombs.run()
    results["summary"] = summary(results)
    results["seconds"] = time.perf_counter() - start
    width = max(len(s[0]) for s in results["summary"])
    print("\nsummary")
    for measure, value, met in results["summary"]:
        print(f"  {measure:{width}s}  {value:>24s}  {met}")
    print(f"\nversions: {results['kernels']['versions']}; total {results['seconds']:.0f} s")
    _write(results)
    plots.scaling(results["derivation"], os.path.join(ROOT, "figures", "bench_scaling.svg"))
    plots.kernels(results["kernels"], os.path.join(ROOT, "figures", "bench_kernels.svg"))
    return 0


def only_kernels() -> int:
    """Section 3 and the kernels' memory, written over their part of the last full run's results."""
    with open(RESULTS) as f:
        results = json.load(f)
    results["machine"] = machine()
    print(f"3. kernels, N = {kernels.N:,}")
    results["kernels"] = kernels.run()
    results["memory"] = [m for m in results["memory"] if not m["what"].startswith("kernel ")] + kernels.memory()
    kept = [s for s in results["summary"] if s[0].split(":")[0] not in kernels.CASES]
    results["summary"] = kept + kernel_summary(results["kernels"])
    for measure, value, met in kernel_summary(results["kernels"]):
        print(f"  {measure:52s}  {value:>24s}  {met}")
    print(f"threads: {results['kernels']['threads']}; versions: {results['kernels']['versions']}")
    _write(results)
    plots.kernels(results["kernels"], os.path.join(ROOT, "figures", "bench_kernels.svg"))
    return 0


def only_generation() -> int:
    return _rerun("generation", GENERATION, generation.run, generation.summary,
                  lambda row: row.startswith(("kernel generation", "derivation speedup")))


def only_eager() -> int:
    return _rerun("eager", EAGER, eager.run, eager.summary, lambda row: row.startswith("eager "))


def only_bombs() -> int:
    return _rerun("bombs", BOMBS, bombs.run, bombs.summary, lambda row: row.startswith("bomb: "))


def _rerun(key: str, heading: str, run, summary, stale) -> int:
    """One section alone, written over its part of the last full run's results; ``stale(row name)``
    picks the section's old summary rows, which its new ones replace."""
    with open(RESULTS) as f:
        results = json.load(f)
    results["machine"] = machine()
    print(heading)
    results[key] = run()
    rows = summary(results[key])
    results["summary"] = [s for s in results["summary"] if not stale(s[0])] + rows
    width = max(len(r[0]) for r in rows)
    for measure, value, met in rows:
        print(f"  {measure:{width}s}  {value:>24s}  {met}")
    _write(results)
    return 0


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def _write(results: dict) -> None:
    with open(RESULTS, "w") as f:
        json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    raise SystemExit(main())
