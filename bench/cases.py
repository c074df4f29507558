"""The benchmark's expressions, each a scalar loss with its parameters, built once here so
the derivation timings, the kernels and the smoke test all use the very same SymPy objects.

Sigmoid is written as ``1/(1 + exp(-z))`` (as the seed notes write it and as naive SymPy
sees it); symdl receives the same expression and recognises σ itself. Attention comes from
``symdl.nn`` through ``symdl.tensor.expand`` (the element-wise scalar form).

Unrolled recurrent cells are given to symdl as named steps (``h1_0 = tanh(…)``, one per
state entry per time step, as a student writes them) and to naive ``sympy.diff`` as the flat
expression those steps spell out: building that flat tree is itself exponential in T in
SymPy (assumption queries walk it), so naive SymPy gets it only where it is built in time.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import numpy as np
import sympy as sp

from symdl.nn.attention import additive_alignment, attend
from symdl.nn.recurrent import LSTMCell, RNNCell, lstm_unroll, rnn_unroll
from symdl.tensor.expand import expand
from symdl.tensor.network import Network



def S(name: str) -> sp.Symbol:
    """Real symbols: SymPy asks ``is_real`` of every tanh/exp argument it builds, and for
    symbols of unknown domain answers through ``as_real_imag`` of the whole tree, which is
    exponential in an unrolled RNN (LSTM T = 3 took 54 s to build before this)."""
    return sp.Symbol(name, real=True)


def sig(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z, evaluate=False))


def chain(depth: int) -> tuple[sp.Expr, list[sp.Symbol]]:
    """a ← σ(w_i a + b_i), i = 1…depth, from a = x; loss ½(a − y)²."""
    a, params = S("x"), []
    for i in range(depth):
        w, b = S(f"w{i}"), S(f"b{i}")
        a = sig(w * a + b)
        params += [w, b]
    return sp.Rational(1, 2) * (a - S("y")) ** 2, params


def mlp(width: int, inputs: int = 2) -> tuple[sp.Expr, list[sp.Symbol]]:
    """One tanh hidden layer of ``width`` units, a linear output, loss ½(out − y)²."""
    xs = [S(f"x{j}") for j in range(inputs)]
    params, out = [], S("c")
    for k in range(width):
        ws = [S(f"W_{k}_{j}") for j in range(inputs)]
        b, v = S(f"b_{k}"), S(f"v_{k}")
        out += v * sp.tanh(sum(w * x for w, x in zip(ws, xs)) + b)
        params += [*ws, b, v]
    params.append(S("c"))
    return sp.Rational(1, 2) * (out - S("y")) ** 2, params


def _network_loss(net: Network, last: str, size: int) -> tuple[sp.Expr, list[sp.Symbol]]:
    loss = net.apply("half_sse", last, net.constant("y", np.ones(net.value(last).shape)), name="L")
    (expr,) = expand(net)[loss].reshape(-1)
    prefixes = tuple(n + "_" for n, d in net.graph.nodes(data=True) if d["kind"] == "parameter")
    params = sorted((s for s in expr.free_symbols if s.name.startswith(prefixes)), key=lambda s: s.name)
    return expr, params


def _matrix(name: str, rows: int, cols: int) -> list[list[sp.Symbol]]:
    return [[S(f"{name}_{i}_{j}") for j in range(cols)] for i in range(rows)]


def _affine(w: list, x: list, b: list) -> list[sp.Expr]:
    """W x + b on plain lists: SymPy's Matrix inspects every entry (is_zero, dotprodsimp),
    which on unrolled trees costs seconds at T = 8; plain Add and Mul do not."""
    return [sp.Add(*(w_ij * x_j for w_ij, x_j in zip(row, x)), b_i[0]) for row, b_i in zip(w, b)]


def _inputs(steps: int) -> list[list[sp.Symbol]]:
    return [[S(f"x{t}_0"), S(f"x{t}_1")] for t in range(1, steps + 1)]


def _half_sq_error(h: list) -> sp.Expr:
    return sp.Rational(1, 2) * sp.Add(*((e - 1) ** 2 for e in h))


def _live(expr: sp.Expr, params: list[sp.Symbol]) -> tuple[sp.Expr, list[sp.Symbol]]:
    """Only the parameters the loss reaches (with h_0 = 0, W_hh is unused at T = 1)."""
    return expr, [p for p in params if p in expr.free_symbols]


def _flat(*matrices) -> list[sp.Symbol]:
    return [s for m in matrices for row in m for s in row]


def rnn(steps: int, hidden: int = 2) -> tuple[sp.Expr, list[sp.Symbol]]:
    """PyTorch's RNNCell h_t = tanh(W_xh x_t + b_xh + W_hh h_{t−1} + b_hh) (PyTorch's W_ih is W_xh), input size 2, h_0 = 0,
    unrolled ``steps`` times; loss ½‖h_T − 1‖². Written directly in SymPy (``tensor.expand`` of the
    same ``symdl.nn`` network agrees, see tests/test_bench_smoke.py, but takes 25 s at T = 16)."""
    w_ih, w_hh = _matrix("W_xh", hidden, 2), _matrix("W_hh", hidden, hidden)
    b_ih, b_hh = _matrix("b_xh", hidden, 1), _matrix("b_hh", hidden, 1)
    h = [sp.S.Zero] * hidden
    for x in _inputs(steps):
        h = [sp.tanh(a + b, evaluate=False) for a, b in zip(_affine(w_ih, x, b_ih), _affine(w_hh, h, b_hh))]
    return _live(_half_sq_error(h), _flat(w_ih, w_hh, b_ih, b_hh))


def lstm(steps: int, hidden: int = 2) -> tuple[sp.Expr, list[sp.Symbol]]:
    """PyTorch's LSTMCell (gates i, f, g, o; two biases), input size 2, h_0 = c_0 = 0, unrolled
    ``steps`` times; loss ½‖h_T − 1‖². Written directly in SymPy, like :func:`rnn`."""
    gates = {g: (_matrix(f"W_i{g}", hidden, 2), _matrix(f"W_h{g}", hidden, hidden),
                 _matrix(f"b_i{g}", hidden, 1), _matrix(f"b_h{g}", hidden, 1)) for g in "ifgo"}
    h, c = [sp.S.Zero] * hidden, [sp.S.Zero] * hidden
    for x in _inputs(steps):
        z = {g: [a + b for a, b in zip(_affine(w_i, x, b_i), _affine(w_h, h, b_h))]
             for g, (w_i, w_h, b_i, b_h) in gates.items()}
        i, f, o = ([sig(e) for e in z[g]] for g in "ifo")
        g = [sp.tanh(e, evaluate=False) for e in z["g"]]
        c = [f_k * c_k + i_k * g_k for f_k, c_k, i_k, g_k in zip(f, c, i, g)]
        h = [o_k * sp.tanh(c_k, evaluate=False) for o_k, c_k in zip(o, c)]
    return _live(_half_sq_error(h), _flat(*(m for g in "ifgo" for m in gates[g])))


def network_rnn(steps: int, hidden: int = 2, kind: str = "rnn") -> sp.Expr:
    """The same loss from ``symdl.nn`` through ``symdl.tensor.expand`` (slow; for the smoke test)."""
    net = Network()
    xs = [np.array([0.5 * (t + 1), -0.25]) for t in range(steps)]
    cell = (RNNCell if kind == "rnn" else LSTMCell)(2, hidden, seed=0, layout="columns")
    unrolled = (rnn_unroll if kind == "rnn" else lstm_unroll)(net, cell, xs)
    return _network_loss(net, unrolled.hs[-1], steps)[0]


def attention(tokens: int, dim: int = 2) -> tuple[sp.Expr, list[sp.Symbol]]:
    """Bahdanau attention over ``tokens`` encoder states (d = a = 2): scores vᵀ tanh(W_s s + W_h h_i),
    softmax, context; loss ½‖c − 1‖². Parameters W_s, W_h, v."""
    net = Network()
    rng = np.random.default_rng(0)
    s = net.input("s", rng.standard_normal((1, dim)))
    h = net.input("h", rng.standard_normal((tokens, dim)))
    w_s = net.parameter("W_s", rng.standard_normal((dim, dim)))
    w_h = net.parameter("W_h", rng.standard_normal((dim, dim)))
    v = net.parameter("v", rng.standard_normal((dim, 1)))
    scores = additive_alignment(net, s, h, w_s, w_h, v)
    _, context = attend(net, scores, h)
    return _network_loss(net, context, tokens)


Steps = list[tuple[str, sp.Expr]]


def _step_live(steps: Steps, params: list[sp.Symbol]) -> tuple[Steps, list[sp.Symbol]]:
    """Only the steps and parameters the loss reaches, as in :func:`_live` (with c_0 = 0 the
    first forget gate is dead; with h_0 = 0 so is W_hh at T = 1)."""
    kept, needed = [steps[-1]], set(steps[-1][1].free_symbols)
    for name, expr in reversed(steps[:-1]):
        if S(name) in needed:
            kept.append((name, expr))
            needed |= expr.free_symbols
    return kept[::-1], [p for p in params if p in needed]


def rnn_steps(steps: int, hidden: int = 2) -> tuple[Steps, list[sp.Symbol]]:
    """:func:`rnn` as named steps: ``h{t}_{k} = tanh(…)`` per hidden unit and time step, then ``L``."""
    w_ih, w_hh = _matrix("W_xh", hidden, 2), _matrix("W_hh", hidden, hidden)
    b_ih, b_hh = _matrix("b_xh", hidden, 1), _matrix("b_hh", hidden, 1)
    program, h = [], [sp.S.Zero] * hidden
    for t, x in enumerate(_inputs(steps), start=1):
        z = [a + b for a, b in zip(_affine(w_ih, x, b_ih), _affine(w_hh, h, b_hh))]
        program += [(f"h{t}_{k}", sp.tanh(z_k)) for k, z_k in enumerate(z)]
        h = [S(f"h{t}_{k}") for k in range(hidden)]
    program.append(("L", _half_sq_error(h)))
    return _step_live(program, _flat(w_ih, w_hh, b_ih, b_hh))


def lstm_steps(steps: int, hidden: int = 2) -> tuple[Steps, list[sp.Symbol]]:
    """:func:`lstm` as named steps: the gates ``i f g o``, then ``c`` and ``h``, per unit and time step."""
    gates = {g: (_matrix(f"W_i{g}", hidden, 2), _matrix(f"W_h{g}", hidden, hidden),
                 _matrix(f"b_i{g}", hidden, 1), _matrix(f"b_h{g}", hidden, 1)) for g in "ifgo"}
    program, h, c = [], [sp.S.Zero] * hidden, [sp.S.Zero] * hidden
    for t, x in enumerate(_inputs(steps), start=1):
        z = {g: [a + b for a, b in zip(_affine(w_i, x, b_i), _affine(w_h, h, b_h))]
             for g, (w_i, w_h, b_i, b_h) in gates.items()}
        for k in range(hidden):
            program += [(f"{g}{t}_{k}", sp.tanh(z[g][k]) if g == "g" else sig(z[g][k])) for g in "ifgo"]
            i, f, g, o = (S(f"{name}{t}_{k}") for name in "ifgo")
            program += [(f"c{t}_{k}", f * c[k] + i * g), (f"h{t}_{k}", o * sp.tanh(S(f"c{t}_{k}")))]
        h, c = [S(f"h{t}_{k}") for k in range(hidden)], [S(f"c{t}_{k}") for k in range(hidden)]
    program.append(("L", _half_sq_error(h)))
    return _step_live(program, _flat(*(m for g in "ifgo" for m in gates[g])))


def chain_steps(depth: int) -> tuple[Steps, list[sp.Symbol]]:
    """:func:`chain` as named steps ``a1 = σ(w0·x + b0)``, …, then ``L``: the flat tree of a deep
    chain exceeds SymPy's recursion limit (depth 128), the steps do not."""
    program, params, a = [], [], S("x")
    for i in range(depth):
        w, b = S(f"w{i}"), S(f"b{i}")
        program.append((f"a{i + 1}", sig(w * a + b)))
        a, params = S(f"a{i + 1}"), params + [w, b]
    program.append(("L", sp.Rational(1, 2) * (a - S("y")) ** 2))
    return program, params


class Family(NamedTuple):
    """What symdl is given (an expression or named steps) and what naive ``sympy.diff`` is given
    (always the flat expression), each with the parameters to differentiate, at every size."""

    symdl: Callable[[int], tuple]
    naive: Callable[[int], tuple[sp.Expr, list[sp.Symbol]]]
    sizes: list[int]
    label: str


FAMILIES = {
    "sigmoid chain": Family(chain, chain, [2, 4, 8, 16, 32, 64], "depth"),
    "tanh MLP": Family(mlp, mlp, [2, 4, 8, 16], "width"),
    "RNN (H=2)": Family(partial(rnn_steps, hidden=2), partial(rnn, hidden=2), [1, 2, 4, 8, 16, 32], "T"),
    "LSTM (H=2)": Family(partial(lstm_steps, hidden=2), partial(lstm, hidden=2), [1, 2, 4, 8, 16, 32], "T"),
    "LSTM (H=4)": Family(partial(lstm_steps, hidden=4), partial(lstm, hidden=4), [1, 2, 4, 8, 16, 32], "T"),
    "attention": Family(attention, attention, [2, 4, 8, 16], "tokens"),
}
