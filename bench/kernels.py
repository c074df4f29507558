"""Section 3 and half of 4: value + all gradients at N = 10⁶ float64 points, every peer on the
same function, each point its own set of inputs (so gradients are per point, as vmap(grad) gives).

Each case is written once, generically over a math module ``m`` (SymPy, torch, jax.numpy),
so no peer gets a different formula; only the hand-written fused NumPy backward is separate.
Peers that are not installed are reported as skipped, never substituted.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import Callable

import numpy as np
import sympy as sp

import symdl


N = 1_000_000
REPEATS = 7  # the median: the machine is shared, and a burst of load should not decide a ratio


def sig(m, z):
    return 1 / (1 + m.exp(-z))


# --- the cases: f(m, **inputs) -> per-point scalar ---------------------------------------------

def neuron(m, w0, x0, w1, x1, w2):
    return sig(m, w0 * x0 + w1 * x1 + w2)


def chain8(m, x, y, **wb):
    a = x
    for i in range(8):
        a = sig(m, wb[f"w{i}"] * a + wb[f"b{i}"])
    return (a - y) ** 2 / 2


LSTM_PARAMS = [f"{k}{g}" for g in "ifgo" for k in ("w", "u", "b")]


def lstm_step(m, x, h, c, y, **p):
    z = {g: p[f"w{g}"] * x + p[f"u{g}"] * h + p[f"b{g}"] for g in "ifgo"}
    c1 = sig(m, z["f"]) * c + sig(m, z["i"]) * m.tanh(z["g"])
    h1 = sig(m, z["o"]) * m.tanh(c1)
    return (h1 - y) ** 2 / 2


def attention_row(m, y, s0, s1, s2, s3, v0, v1, v2, v3):
    e = [m.exp(s) for s in (s0, s1, s2, s3)]
    context = (e[0] * v0 + e[1] * v1 + e[2] * v2 + e[3] * v3) / (e[0] + e[1] + e[2] + e[3])
    return (context - y) ** 2 / 2


# --- hand-written fused NumPy: forward once, backward by hand ------------------------------------

def _sig(z):
    return 1 / (1 + np.exp(-z))


def neuron_fused(w0, x0, w1, x1, w2):
    s = _sig(w0 * x0 + w1 * x1 + w2)
    d = s * (1 - s)
    return s, {"w0": d * x0, "x0": d * w0, "w1": d * x1, "x1": d * w1, "w2": d}


def chain8_fused(x, y, **wb):
    acts = [x]
    for i in range(8):
        acts.append(_sig(wb[f"w{i}"] * acts[-1] + wb[f"b{i}"]))
    g, grads = acts[-1] - y, {}
    value = g * g / 2
    for i in reversed(range(8)):
        g = g * acts[i + 1] * (1 - acts[i + 1])
        grads[f"w{i}"], grads[f"b{i}"] = g * acts[i], g
        g = g * wb[f"w{i}"]
    return value, grads


def lstm_step_fused(x, h, c, y, **p):
    i, f, o = (_sig(p[f"w{g}"] * x + p[f"u{g}"] * h + p[f"b{g}"]) for g in "ifo")
    g = np.tanh(p["wg"] * x + p["ug"] * h + p["bg"])
    c1 = f * c + i * g
    t = np.tanh(c1)
    r = o * t - y
    dc = r * o * (1 - t * t)
    dz = {"o": r * t * o * (1 - o), "f": dc * c * f * (1 - f), "i": dc * g * i * (1 - i), "g": dc * i * (1 - g * g)}
    grads = {}
    for gate, d in dz.items():
        grads[f"w{gate}"], grads[f"u{gate}"], grads[f"b{gate}"] = d * x, d * h, d
    return r * r / 2, {k: grads[k] for k in LSTM_PARAMS}


def attention_row_fused(y, s0, s1, s2, s3, v0, v1, v2, v3):
    s = np.stack([s0, s1, s2, s3])
    e = np.exp(s - s.max(axis=0))
    a = e / e.sum(axis=0)
    v = np.stack([v0, v1, v2, v3])
    r = (a * v).sum(axis=0) - y
    ds = r * a * (v - (a * v).sum(axis=0))
    dv = r * a
    return r * r / 2, {**{f"s{k}": ds[k] for k in range(4)}, **{f"v{k}": dv[k] for k in range(4)}}


CASES: dict[str, tuple[Callable, Callable, list[str], list[str]]] = {
    # name: (generic f, fused numpy, all inputs, differentiate w.r.t.)
    "sigmoid neuron": (neuron, neuron_fused, ["w0", "x0", "w1", "x1", "w2"], ["w0", "x0", "w1", "x1", "w2"]),
    "chain depth 8": (chain8, chain8_fused, ["x", "y", *[f"{k}{i}" for i in range(8) for k in "wb"]],
                      [f"{k}{i}" for i in range(8) for k in "wb"]),
    "LSTM step (H=1)": (lstm_step, lstm_step_fused, ["x", "h", "c", "y", *LSTM_PARAMS], LSTM_PARAMS),
    "attention row (n=4)": (attention_row, attention_row_fused,
                            ["y", *[f"s{k}" for k in range(4)], *[f"v{k}" for k in range(4)]],
                            [*[f"s{k}" for k in range(4)], *[f"v{k}" for k in range(4)]]),
}


def sympy_expr(name: str) -> sp.Expr:
    f, _, inputs, _ = CASES[name]
    symbols = {n: sp.Symbol(n, real=True) for n in inputs}
    return f(sp, **symbols)


def inputs_for(name: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(-1.0, 1.0, n) for k in CASES[name][2]}


def symdl_kernel(name: str, threads: int | None = None):
    """symdl's kernel as a user gets it: ``threads=None`` is its default (blocks on every CPU)."""
    _, _, inputs, wrt = CASES[name]
    k = symdl.kernel(sympy_expr(name), wrt=wrt, threads=threads)
    return lambda arrays: k(**arrays)


def symdl_one_thread(name: str):
    return symdl_kernel(name, threads=1)


def naive_lambdify(name: str):
    """``sympy.diff`` per parameter, then plain ``lambdify`` (no CSE): what one writes by hand in SymPy."""
    _, _, inputs, wrt = CASES[name]
    expr = sympy_expr(name)
    symbols = [sp.Symbol(n, real=True) for n in inputs]
    fn = sp.lambdify(symbols, [expr, *[sp.diff(expr, sp.Symbol(w, real=True)) for w in wrt]], "numpy")
    return lambda arrays: fn(*[arrays[n] for n in inputs])


def torch_eager(name: str):
    import torch

    f, _, inputs, wrt = CASES[name]

    def run(arrays):
        leaves = {n: torch.from_numpy(arrays[n]).requires_grad_(n in wrt) for n in inputs}
        out = f(torch, **leaves)
        out.sum().backward()  # each point's output depends only on its own inputs: per-point grads
        return out.detach(), {w: leaves[w].grad for w in wrt}
    return run


def jax_jit(name: str):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f, _, inputs, wrt = CASES[name]
    positions = tuple(inputs.index(w) for w in wrt)
    compiled = jax.jit(jax.vmap(jax.value_and_grad(lambda *a: f(jnp, **dict(zip(inputs, a))), argnums=positions)))

    def run(arrays):
        value, grads = compiled(*arrays["__jax__"])
        return jax.block_until_ready((value, grads))
    return run


def fused_numpy(name: str):
    fused, inputs = CASES[name][1], CASES[name][2]
    return lambda arrays: fused(**{n: arrays[n] for n in inputs})


def thread_counts(n: int = N) -> dict:
    """Threads each peer computes with at ``n`` points (JAX's XLA CPU runtime picks its own)."""
    out = {"symdl": symdl.kernels.threads_for(n), "symdl 1 thread": 1}
    try:
        import torch
        out["PyTorch eager"] = torch.get_num_threads()
    except ImportError:
        pass
    return out


def versions() -> dict:
    out = {"numpy": np.__version__, "sympy": sp.__version__}
    for module in ("torch", "jax", "jaxlib"):
        try:
            out[module] = __import__(module).__version__
        except ImportError:
            out[module] = None
    try:
        import torch
        out["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return out


PEERS = {"symdl": symdl_kernel, "symdl 1 thread": symdl_one_thread, "naive lambdify": naive_lambdify,
         "PyTorch eager": torch_eager, "JAX jit(vmap(grad))": jax_jit, "fused NumPy": fused_numpy}


def run(n: int = N, log=print) -> dict:
    """Peers are timed in turns (one call each, ``REPEATS`` rounds, the median kept), so a burst of load
    on the shared machine hits every peer alike rather than whichever was running then."""
    rows = []
    for name in CASES:
        arrays = inputs_for(name, n)
        row, ready = {"case": name}, {}
        for peer, make in PEERS.items():
            try:
                fn = make(name)
            except ImportError as error:
                row[peer] = f"skipped ({error.name} not installed)"
                continue
            given = arrays
            if peer.startswith("JAX"):
                import jax.numpy as jnp
                given = dict(arrays, __jax__=[jnp.asarray(arrays[k]) for k in CASES[name][2]])
            fn(given)  # warm-up: JIT compilation, lambdify caches, allocator
            ready[peer] = (fn, given)
        times = {peer: [] for peer in ready}
        for _ in range(REPEATS):
            for peer, (fn, given) in ready.items():
                start = time.perf_counter()
                fn(given)
                times[peer].append(time.perf_counter() - start)
        row.update((peer, statistics.median(times[peer]) if peer in times else row.get(peer)) for peer in PEERS)
        rows.append(row)
        log("  " + name + ": " + ", ".join(f"{p} {v:.4f}s" if isinstance(v, float) else f"{p} {v}"
                                         for p, v in row.items() if p != "case"))
    return {"n": n, "repeats": REPEATS, "rows": rows, "versions": versions(), "threads": thread_counts(n)}


def memory(n: int = N) -> list[dict]:
    """tracemalloc peak of one symdl kernel call, as by default (NumPy reports its buffers to tracemalloc)."""
    out = []
    for name in CASES:
        arrays = inputs_for(name, n)
        fn = symdl_kernel(name)
        fn(arrays)
        tracemalloc.start()
        value, grads = fn(arrays)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        io = sum(a.nbytes for a in arrays.values()) + value.nbytes + sum(g.nbytes for g in grads.values())
        out.append({"what": f"kernel {name} N={n}", "peak_bytes": peak, "inputs_outputs_bytes": io})
    return out
