"""Kernels: value and gradients against an independent NumPy implementation and
SymPy evalf, finite at extreme inputs with no floating-point warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given

import symdl
from symdl.errors import SymdlError
from strategies import SYMBOLS, expressions, points


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


def test_sigmoid_neuron_on_arrays_matches_hand_written_numpy():
    k = symdl.kernel("1/(1 + exp(-(w*x + b)))", wrt="w,b")
    rng = np.random.default_rng(0)
    w, x, b = rng.normal(size=(3, 100))
    value, grads = k(b=b, w=w, x=x)
    s = 1 / (1 + np.exp(-(w * x + b)))
    np.testing.assert_allclose(value, s, rtol=1e-14)
    np.testing.assert_allclose(grads["w"], s * (1 - s) * x, rtol=1e-12)
    np.testing.assert_allclose(grads["b"], s * (1 - s), rtol=1e-12)
    assert set(grads) == {"w", "b"}


@pytest.mark.parametrize("text, x, value, grad", [
    ("sigmoid(x)", -1000.0, 0.0, 0.0),
    ("sigmoid(x)", 1000.0, 1.0, 0.0),
    ("1/(1 + exp(-x))", -1000.0, 0.0, 0.0),
    ("log(sigmoid(x))", -800.0, -800.0, 1.0),
    ("softplus(x)", 1000.0, 1000.0, 1.0),
    ("log(1 + exp(x))", 1000.0, 1000.0, 1.0),
    ("tanh(x)", 800.0, 1.0, 0.0),
    ("relu(x)", -1e6, 0.0, 0.0),
    ("gelu(x)", 1e6, 1e6, 1.0),
    ("gelu(x)", -1e6, 0.0, 0.0),
])
def test_extreme_inputs(text, x, value, grad):
    v, g = symdl.kernel(text)(x=x)
    assert v == value and g["x"] == grad


def test_constant_gradients_broadcast_to_the_input_shape():
    value, grads = symdl.kernel("x + 2*y")(x=np.zeros(5), y=np.ones(5))
    assert grads["x"].shape == (5,) and np.all(grads["y"] == 2)


@pytest.mark.parametrize("text", [
    "tanh(w*x)",
    "log(sigmoid(w*x)) + gelu(x) + max(w, x, 1/2) + leaky_relu(w - x) + floor(x)*step(w) + 2**x",
    "select*where + numpy*scipy + grad_f*f + kernel*NUMPY_FUNCTIONS",  # named like calls, modules, adjoints
    "z = w*x + b; a = tanh(z); c = sigmoid(a)*a; L = (c - 1)**2",
])
def test_source_runs_as_it_stands(text):
    """The printed kernel (``symdl kernel``) is a module with its imports: run in a fresh namespace,
    its function gives the kernel's numbers, bit for bit."""
    k = symdl.kernel(text)
    assert "def kernel(" in k.source
    namespace: dict = {}
    exec(compile(k.source, "<printed kernel>", "exec"), namespace)  # our own generated code
    rng = np.random.default_rng(5)
    inputs = [rng.uniform(0.1, 2, 50) for _ in k.args]
    value, grads = k(*inputs)
    printed = namespace["kernel"](*inputs)
    assert _bits(np.broadcast_to(printed[0], 50)) == _bits(value)
    for name, column in zip(k.wrt, printed[1:]):
        assert _bits(np.broadcast_to(column, 50)) == _bits(grads[name])


def test_kernel_lines_follow_the_program():
    """One line per program step: a depth-n sigmoid chain compiles to O(n) lines, and σ' reads the
    forward σ (out·σ(−u)) instead of recomputing it from the closed form."""
    steps = "; ".join(f"a{i + 1} = sigmoid(w{i}*a{i} + b{i})" for i in range(40))
    k = symdl.kernel(steps + "; L = (a40 - y)**2/2")
    assert len(k.program) <= 8 * 40
    line = k.source.splitlines()
    assert any("a40*" in s and "sigmoid(-" in s for s in line)




def test_names_that_would_shadow_numpy_are_renamed():
    k = symdl.kernel("select*tanh(where)")
    value, grads = k(select=2.0, where=0.5)
    assert value == pytest.approx(2 * np.tanh(0.5)) and grads["where"] == pytest.approx(2 * (1 - np.tanh(0.5) ** 2))


def test_bad_arguments():
    k = symdl.kernel("x*y")
    with pytest.raises(SymdlError, match="missing"):
        k(x=1.0)
    with pytest.raises(SymdlError, match="cannot differentiate"):
        symdl.kernel("x*y", wrt="z")


@given(expressions, points)
def test_kernel_matches_sympy_evalf(expr, point):
    assume(expr.free_symbols)
    subs = dict(zip(SYMBOLS, point))
    k = symdl.kernel(expr)
    with np.errstate(all="ignore"):
        value, grads = k(**{s.name: subs[s] for s in expr.free_symbols})
    expected = sp.N(expr.xreplace({s: sp.Float(v, 30) for s, v in subs.items()}), 30)
    assume(expected.is_real and expected.is_finite)
    assert float(value) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)
    exact = {t: sp.Float(v, 30) for t, v in subs.items()}
    for s in expr.free_symbols:
        derivative = sp.diff(expr, s)
        d = sp.N(derivative.xreplace(exact), 30)
        if not (d.is_real and d.is_finite) or on_a_kink(derivative, exact, s):
            continue  # conventions differ at a kink (relu'(0) is 0 in symdl, SymPy's Max gives 1/2)
        assert float(grads[s.name]) == pytest.approx(float(d), rel=1e-8, abs=1e-10)


def on_a_kink(derivative, exact, s, h=sp.Float("1e-12", 30)) -> bool:
    """True where the derivative jumps: its values just left and just right of the point differ."""
    left, right = (sp.N(derivative.xreplace({**exact, s: exact[s] + step}), 30) for step in (-h, h))
    return not (left.is_real and right.is_real) or abs(left - right) > 1e-6


# --- blockwise and threaded evaluation: the same bits as one call on the whole arrays -----------

def _bits(a) -> bytes:
    return np.ascontiguousarray(a, dtype=float).tobytes()  # compares NaN payloads and the sign of 0 too


def _same(kernel, plain, inputs):
    value, grads = kernel(**inputs)
    plain_value, plain_grads = plain(**inputs)
    assert value.shape == plain_value.shape and _bits(value) == _bits(plain_value)
    assert set(grads) == set(plain_grads)
    for name in grads:
        assert grads[name].shape == plain_grads[name].shape and _bits(grads[name]) == _bits(plain_grads[name])
    return value, grads


BLOCKWISE = [
    "1/(1 + exp(-(w*x + b)))",
    "(sigmoid(w1*tanh(w0*x + b0) + b1) - y)**2/2",
    "log(sigmoid(w*x)) + softplus(x - w) + gelu(w*x)",
    "max(w*x, x - w, 1/2) + relu(x) + leaky_relu(w*x) + sin(w)*cos(x)",
    "(exp(w)*x + exp(x)*w)/(exp(w) + exp(x))",
]


@pytest.mark.parametrize("text", BLOCKWISE)
@pytest.mark.parametrize("block, threads", [(16384, 1), (16384, 2), (1000, 3), (7, 2)])
def test_blockwise_is_bit_identical_to_one_whole_call(text, block, threads):
    expr = symdl.kernel(text)
    blocked = symdl.kernel(text, threads=threads, block=block)
    plain = symdl.kernel(text, block=None)
    rng = np.random.default_rng(1)
    inputs = {a: rng.uniform(-40, 40, symdl.kernels.MIN_BLOCKS * 16384 + 5) for a in expr.args}
    _same(blocked, plain, inputs)


def test_the_default_uses_threads_on_large_arrays_and_gives_the_same_bits():
    k, plain = symdl.kernel("tanh(w*x + b)*x"), symdl.kernel("tanh(w*x + b)*x", block=None)
    n = symdl.kernels.MIN_BLOCKS * k.block + 5
    assert symdl.kernels.threads_for(n) == symdl.kernels._cpus()
    assert symdl.kernels.threads_for(n - 10) == 1  # small arrays: one call on the whole arrays
    assert symdl.kernels.threads_for(10 ** 9, threads=8, block=None) == 1
    assert symdl.kernels.threads_for(10 * k.block - 1, threads=16) == 10  # no more threads than blocks
    rng = np.random.default_rng(2)
    _same(k, plain, {"w": rng.normal(size=n), "x": rng.normal(size=n), "b": 0.5})


@pytest.mark.parametrize("shapes", [
    {"w": (), "x": ()},                      # scalars: the plain path
    {"w": (), "x": (40_000,)},               # a scalar parameter against an array input
    {"w": (1,), "x": (300, 140)},            # a size-1 array against a 2-D input
    {"w": (300, 140), "x": (300, 140)},
    {"w": (300, 1), "x": (1, 140)},          # a column against a row: broadcast to 300 × 140
    {"w": (140, 300), "x": (300, 140)},      # transposed below: not contiguous
])
def test_blockwise_shapes_and_broadcasting(shapes):
    text = "sigmoid(w*x)*x + w"
    blocked, plain = symdl.kernel(text, threads=2, block=999), symdl.kernel(text, block=None)
    rng = np.random.default_rng(3)
    inputs = {a: rng.normal(size=s) for a, s in shapes.items()}
    if shapes["w"] == (140, 300):
        inputs["w"] = inputs["w"].T
    value, grads = _same(blocked, plain, inputs)
    shape = np.broadcast_shapes(*shapes.values()) if shapes["w"] != (140, 300) else (300, 140)
    assert value.shape == grads["w"].shape == grads["x"].shape == shape
    if shape:
        assert np.all(blocked(**inputs)[1]["w"] == plain(**inputs)[1]["w"])


def test_blockwise_constant_gradients_fill_the_whole_array():
    value, grads = symdl.kernel("x + 2*y", threads=2, block=10)(x=np.zeros(105), y=1.0)
    assert grads["x"].shape == grads["y"].shape == (105,) and np.all(grads["x"] == 1) and np.all(grads["y"] == 2)


def test_the_work_is_shared_between_threads_block_by_block():
    import threading
    import time

    seen = []

    def recorder(x):
        seen.append((threading.current_thread().name, x.size))
        time.sleep(0.002)  # the GIL is free meanwhile, as in a NumPy ufunc
        return [x * 2, 2 + 0 * x]

    k = symdl.kernels.Kernel(symdl.graph.build("2*x"), ["x"], ["x"], recorder, [], threads=2, block=10)
    value, grads = k(x=np.arange(1005.0))
    assert np.array_equal(value, np.arange(1005.0) * 2) and np.all(grads["x"] == 2)
    assert sorted(size for _, size in seen) == [5] + [10] * 100
    assert len({name for name, _ in seen}) == 2


def test_the_callers_errstate_holds_in_the_worker_threads():
    """NumPy keeps the error state per thread: the pool threads must get the caller's."""
    k = symdl.kernel("exp(w*x)", threads=2, block=100)
    x = np.linspace(0, 1000, 10_000)  # exp overflows in the last third only: in the pool's blocks too
    with pytest.raises(FloatingPointError, match="overflow"):
        k(w=1.0, x=x)  # the fixture's errstate(all="raise")
    with np.errstate(all="ignore"):  # with the pool's own default ("warn") this would warn, an error here
        value, grads = k(w=1.0, x=x)
    assert np.isinf(value[-1]) and value[0] == 1.0
    value, _ = symdl.kernel("exp(-w*x)", threads=2, block=100)(w=1.0, x=x)  # underflow stays no error
    assert value[-1] == 0.0


def test_a_warning_in_a_worker_thread_reaches_the_caller():
    k = symdl.kernel("log(x)", threads=2, block=100)
    x = np.linspace(1, 0, 10_000)  # log(0) only in the last block
    with np.errstate(divide="warn"), pytest.raises(RuntimeWarning, match="divide by zero"):
        k(x=x)  # the fixture turns warnings into errors


@pytest.mark.parametrize("given", [{"threads": 0}, {"threads": -2}, {"block": 0}, {"threads": True}, {"block": 1.5}])
def test_bad_threads_or_block(given):
    with pytest.raises(SymdlError, match="positive integer"):
        symdl.kernel("x", **given)


@given(expressions)
def test_blockwise_matches_one_call_for_any_expression(expr):
    assume(expr.free_symbols)
    rng = np.random.default_rng(4)
    inputs = {s.name: rng.uniform(-5, 5, 257) for s in expr.free_symbols}
    with np.errstate(all="ignore"):
        _same(symdl.kernel(expr, threads=3, block=16), symdl.kernel(expr, block=None), inputs)
