"""Section 5: eager tensor networks, forward + backward, symdl's ``Network`` against PyTorch eager.

Both peers get the same weights and inputs in float64 and do the same work: build the forward
pass op by op (symdl's ``apply`` is its eager forward) and run the backward pass for every
parameter. Both run on ``THREADS`` threads: PyTorch by ``torch.set_num_threads``, NumPy's BLAS
by ``threadpoolctl`` (on this shared 2-core machine two threads of each spin against each
other and against the neighbours). ``python -m bench.run --only eager`` reruns it alone.

Each case runs twice: with glibc's default allocator settings, then with freed memory kept for
reuse (``mallopt``: trim and mmap thresholds 1 GiB, for the rest of the process). symdl keeps
every intermediate, as a student inspecting a network wants (an LSTM pass holds ~1 500 arrays);
with the defaults each new pass faults in fresh pages for them, ~10 µs per 16 KB array, which is
most of its gap to PyTorch (whose fused LSTMCell makes fewer, larger intermediates).
"""

from __future__ import annotations

import ctypes
import time
from typing import Callable

import numpy as np

from symdl.nn.dense import MLP
from symdl.nn.recurrent import LSTMCell, lstm_unroll
from symdl.tensor.network import Network

REPEATS = 15  # best of: the machine is shared, and noise only ever adds time
THREADS = 1
CLOCK = time.process_time  # CPU time: on one thread it is the work done, and the shared machine's load
# (load average 18 on 2 cores while this was written) does not count against the longer run
WARM_UP = 3  # rounds before timing: the first calls run several times slower (allocator, caches) in both peers
BATCH = 64
MLP_SIZES = (784, 128, 10)
LSTM_INPUT, LSTM_HIDDEN, LSTM_STEPS = 32, 32, 16


def _mlp_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, MLP_SIZES[0]))
    target = rng.integers(0, MLP_SIZES[-1], BATCH).astype(float)
    model = MLP(MLP_SIZES, activation="sigmoid", seed=seed)
    weights = [(layer.weight, layer.bias) for layer in model.layers]
    return x, target, model, weights


def symdl_mlp() -> Callable[[], dict]:
    x, target, model, _ = _mlp_data()

    def run():
        net = Network()
        logits = model(net, net.input("x", x))
        loss = net.apply("cross_entropy", logits, net.constant("target", target), name="L")
        return net.backward(loss)
    return run


def torch_mlp() -> Callable[[], object]:
    import torch
    x, target, _, weights = _mlp_data()
    xt, yt = torch.tensor(x), torch.tensor(target, dtype=torch.long)
    params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in weights]

    def run():
        h = xt
        for i, (w, b) in enumerate(params):
            h = torch.nn.functional.linear(h, w, b)
            h = torch.sigmoid(h) if i < len(params) - 1 else h
        loss = torch.nn.functional.cross_entropy(h, yt)
        return torch.autograd.grad(loss, [p for pair in params for p in pair])
    return run


def _lstm_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((LSTM_INPUT, BATCH)) for _ in range(LSTM_STEPS)]  # columns, as symdl's cells
    cell = LSTMCell(LSTM_INPUT, LSTM_HIDDEN, seed=seed, layout="columns")
    return xs, cell


def symdl_lstm() -> Callable[[], dict]:
    xs, cell = _lstm_data()
    target = np.zeros((LSTM_HIDDEN, BATCH))

    def run():
        net = Network()
        unrolled = lstm_unroll(net, cell, xs)
        loss = net.apply("half_sse", unrolled.hs[-1], net.constant("target", target), name="L")
        return cell.stacked_gradients(net.backward(loss), unrolled.params)  # PyTorch's layout, as torch returns
    return run


def torch_lstm() -> Callable[[], object]:
    import torch
    xs, cell = _lstm_data()
    module = torch.nn.LSTMCell(LSTM_INPUT, LSTM_HIDDEN, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(module, name).copy_(torch.tensor(getattr(cell, name)).reshape(getattr(module, name).shape))
    rows = [torch.tensor(x.T) for x in xs]  # PyTorch's batch is rows

    def run():
        h = c = torch.zeros(BATCH, LSTM_HIDDEN, dtype=torch.float64)
        for x in rows:
            h, c = module(x, (h, c))
        loss = (h * h).sum() / 2  # symdl's half_sse against zeros: ½ Σ h²
        return torch.autograd.grad(loss, list(module.parameters()))
    return run


CASES = {
    f"MLP {'-'.join(map(str, MLP_SIZES))}, batch {BATCH}": (symdl_mlp, torch_mlp),
    f"LSTMCell H={LSTM_HIDDEN}, T={LSTM_STEPS}, batch {BATCH}": (symdl_lstm, torch_lstm),
}


def run(log=print) -> dict:
    """Best of ``REPEATS`` for each peer, timed in turns, on ``THREADS`` threads each; the ratio is
    symdl's time ÷ PyTorch's."""
    from threadpoolctl import threadpool_limits

    with _torch_threads(THREADS), threadpool_limits(THREADS):  # torch first: its import loads more thread pools
        rows = _rows(log, "default malloc")
        if _keep_freed_memory():
            rows += _rows(log, "malloc keeps freed memory")
    return {"repeats": REPEATS, "rows": rows, "threads": THREADS}


def _keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of returning it to the system."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_mmap_threshold, 1 << 30))


class _torch_threads:
    def __init__(self, n: int):
        self.n, self.before = n, None

    def __enter__(self):
        try:
            import torch
        except ImportError:
            return self
        self.before = torch.get_num_threads()
        torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        if self.before is not None:
            import torch
            torch.set_num_threads(self.before)


def _rows(log, allocator: str) -> list[dict]:
    rows = []
    for name, (make_symdl, make_torch) in CASES.items():
        case = f"{name} ({allocator})"
        ready = {"symdl": make_symdl()}
        try:
            ready["PyTorch eager"] = make_torch()
        except ImportError as error:
            ready.pop("PyTorch eager", None)
            log(f"  {case}: PyTorch skipped ({error.name} not installed)")
        best = dict.fromkeys(ready, float("inf"))
        for _ in range(WARM_UP):
            for fn in ready.values():
                fn()
        for _ in range(REPEATS):
            for peer, fn in ready.items():
                start = CLOCK()
                fn()
                best[peer] = min(best[peer], CLOCK() - start)
        row = {"case": case, **best}
        if "PyTorch eager" in best:
            row["symdl ÷ PyTorch"] = best["symdl"] / best["PyTorch eager"]
        rows.append(row)
        log(f"  {case}: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in best.items())
            + (f", ratio {row['symdl ÷ PyTorch']:.2f}×" if "symdl ÷ PyTorch" in row else ""))
    return rows


def summary(e: dict) -> list[tuple[str, str, str]]:
    out = []
    for row in e["rows"]:
        ratio = row.get("symdl ÷ PyTorch")
        if ratio is None:
            out.append((f"eager {row['case']}: symdl ÷ PyTorch time", "skipped", "—"))
            continue
        out.append((f"eager {row['case']}: symdl ÷ PyTorch time",
                    f"{ratio:.2f}× ({row['symdl'] * 1e3:.1f} vs {row['PyTorch eager'] * 1e3:.1f} ms)",
                    f"{'yes' if ratio <= 2 else 'no'} (≤ 2×)"))
    return out


if __name__ == "__main__":
    print("\n".join("  ".join(r) for r in summary(run())))
