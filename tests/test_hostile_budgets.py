"""Issue 13's slow bombs: each is answered, or refused with the limit named and the counter of how far
the work got (``LimitError.value``), never timed. A generous SIGALRM guard (``hang_guard``) turns a
hang into a failure; the times themselves are measured in ``bench/`` (``python -m bench.run --only bombs``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

import symdl
from symdl import examples as bundled
from symdl.errors import LimitError, SymdlError
from symdl.graph import build, op_nodes
from symdl.limits import LIMITS, limited
from symdl.tensor.conv import CONV2D
from symdl.worksheet import load
from symdl.worksheet.variants import variants

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = bundled.folder()


def nested(outer: str, n: int, leaf: str = "x{i}") -> str:
    """``outer(x0, outer(x1, … x_n))``: ``n`` calls deep."""
    text = leaf.format(i=n)
    for i in reversed(range(n)):
        text = f"{outer}({leaf.format(i=i)}, {text})"
    return text


def cli(*argv: str, cwd: Path, stdin=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symdl", *argv], cwd=cwd, capture_output=True, env=env,
                          timeout=120, stdin=stdin)


def assert_refused(run: subprocess.CompletedProcess, fragment: str) -> None:
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1 and fragment in stderr, stderr
    assert "Traceback" not in stderr and run.stdout == b""


# --- max/min: arguments counted across nested calls --------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
def test_nested_max_counts_arguments_across_calls(op, hang_guard):
    with pytest.raises(LimitError, match="counted across nested calls") as refused:
        symdl.parse(nested(op, 39))  # SymPy flattens it into one call of 40 arguments
    assert refused.value.limit_name == "max_arguments"
    # refused as soon as the nest passes the limit: at the 11th argument, never the 40th
    assert refused.value.value == LIMITS.max_arguments + 1


def test_nested_max_within_the_limit_is_one_call():
    expr = symdl.parse(nested("max", LIMITS.max_arguments - 1))
    assert expr == sp.Max(*(symdl.parse(f"x{i}") for i in range(LIMITS.max_arguments)))
    result = symdl.backprop(nested("max", 3), at="x0=1,x1=5,x2=2,x3=3")
    assert result.value == 5 and result.gradients == {"x0": 0, "x1": 1, "x2": 0, "x3": 0}


def test_alternating_max_min_is_not_flattened_and_answered():
    text = "max(x0, min(x1, max(x2, min(x3, x4))))"
    assert symdl.backprop(text, at="x0=0,x1=4,x2=1,x3=3,x4=2").value == 2  # min(3, 2) = 2, max(1, 2), …


def test_a_sympy_max_given_whole_is_counted_too():
    many = sp.Max(*sp.symbols("a0:40", real=True))
    with pytest.raises(LimitError, match="max_arguments") as refused:
        symdl.backprop(many, at={f"a{i}": i for i in range(40)})
    assert refused.value.value == 40


# --- sums and products of n terms: sorted once ------------------------------------------------------
@pytest.mark.parametrize("join", ["+", "*"])
def test_long_sum_and_product_sort_their_terms_once(join, monkeypatch, hang_guard):
    """Lecture gates split a sum of n terms into n − 1 binary adds; the printed order is worked out once
    (it was once per gate, O(n² log n): 58 s for 500 terms)."""
    calls = {"sorts": 0}
    for cls, name in ((sp.Add, "as_ordered_terms"), (sp.Mul, "as_ordered_factors")):
        original = getattr(cls, name)

        def counted(self, *args, _original=original, **kwargs):
            calls["sorts"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
    n = 500
    graph = build(join.join(f"x{i}" for i in range(n)))
    assert len(op_nodes(graph)) == n - 1
    assert calls["sorts"] == 1


def test_sum_of_500_terms_is_answered(hang_guard):
    n = 500
    result = symdl.backprop("+".join(f"x{i}" for i in range(n)), at={f"x{i}": i for i in range(n)})
    assert result.value == n * (n - 1) / 2 and set(result.gradients.values()) == {1.0}


terms = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "2*a", "b**2", "exp(c)", "a*b", "3", "tanh(d)", "-e"]),
                 min_size=3, max_size=9, unique=True)


@given(terms, st.sampled_from(["+", "*"]))
def test_each_binary_gate_splits_off_the_last_term_as_printed(chosen, join):
    """The invariant the one-time sort keeps: a gate's right operand is the last term (factor) of its
    left-to-right printed form, so gates still read left to right."""
    graph = build(join.join(f"({t})" for t in chosen))
    graph.graph["expression"]  # built on first read, with every node's flat expression
    flat = {n: graph.nodes[n]["flat"] for n in graph}
    for node in op_nodes(graph):
        data = graph.nodes[node]
        if data["op"] in ("add", "mul"):
            whole = flat[node]
            ordered = whole.as_ordered_terms() if data["op"] == "add" else whole.as_ordered_factors()
            assert flat[data["inputs"][-1]] == ordered[-1], (whole, data["inputs"])


# --- a nest of one function: built without SymPy's assumption walk down the nest ---------------------
def _number_tests(monkeypatch) -> list:
    """Every node SymPy's ``is_number`` visits from here on: at every level of tanh(tanh(…)) SymPy's
    constructor asked about the argument, and each answer walked the whole nest below it (158 908 visits
    for 190 levels, 0.37 s of CPU; log's 440 781, 0.77 s)."""
    visited, real = [], sp.Expr.is_number
    monkeypatch.setattr(sp.Expr, "is_number", property(lambda self: visited.append(1) or real.fget(self)))
    return visited


@pytest.mark.parametrize("name, head", [("tanh", sp.tanh), ("log", sp.log), ("sin", sp.sin), ("exp", sp.exp)])
def test_a_190_deep_nest_is_built_without_walking_the_nest(name, head, monkeypatch, hang_guard):
    x = sp.Symbol("x", real=True)
    expected = x
    for _ in range(190):
        expected = head(expected)  # SymPy's own, evaluating constructor
    sp.core.cache.clear_cache()
    visited = _number_tests(monkeypatch)
    built = symdl.parse(f"{name}(" * 190 + "x" + ")" * 190)
    assert len(visited) <= 190  # at most one node a level, never the nest below it
    assert sp.srepr(built) == sp.srepr(expected)


FUNCTIONS = [op for op in symdl.ops.REGISTRY.values() if op.function and op.arity == 1 and not op.params
             and op.head is not None and not op.indexed]
INNER = ["x", "-x", "exp(x)", "-exp(x)", "x**2", "x + 1", "2*x", "log(x)", "abs(x)", "tanh(x)", "3", "1/2"]


@pytest.mark.parametrize("op", FUNCTIONS, ids=lambda op: op.name)
def test_nested_calls_are_what_sympy_builds(op):
    """f(f(u)) is SymPy's own f(f(u)) for every one-argument function and many u, where SymPy rewrites
    it (|(|x|)| is |x|, exp(log x) is x) as well as where it leaves it."""
    for inner in INNER:
        u = symdl.parse(inner)
        if u.is_number and u.is_negative and op.name in ("log", "sqrt"):
            continue  # not a real number: refused, as tested in test_parsing
        expected = op.head(op.head(u))  # evaluated by SymPy's constructor, not the parser
        try:
            built = symdl.parse(f"{op.name}({op.name}({inner}))")
        except SymdlError:  # e.g. log(log(1/2)), not real; then SymPy's own is complex or undefined too
            assert expected.has(sp.I, sp.zoo, sp.nan) or expected.is_extended_real is False
            continue
        assert sp.srepr(built) == sp.srepr(expected), (op.name, inner)


def test_backprop_of_tanh_nested_190_deep_has_its_190_gates_and_gradient(hang_guard):
    result = symdl.backprop("tanh(" * 190 + "x" + ")" * 190, at="x=0.5")
    graph = build("tanh(" * 190 + "x" + ")" * 190)
    assert [graph.nodes[n]["op"] for n in op_nodes(graph)] == ["tanh"] * 190
    value, gradient = 0.5, 1.0  # by hand: the chain rule, 1 − tanh² at each level, in float64
    for _ in range(190):
        value = np.tanh(value)
        gradient *= 1 - value**2
    assert result.gradients["x"] == pytest.approx(gradient, rel=1e-12)


# --- derivations: a budget on their written size ------------------------------------------------------
@pytest.mark.parametrize("text", ["tanh(" * 190 + "x" + ")" * 190, "*".join(f"(x + {i})" for i in range(1, 152))],
                         ids=["tanh-190-deep", "product-of-151-sums"])
def test_huge_derivations_are_refused_as_they_grow(text, hang_guard):
    with pytest.raises(LimitError, match="max_derivation_nodes") as refused:
        symdl.derive(text, "x")
    # how far it got: just past the limit for the nest (charged step by step); the product's one product-rule
    # step is charged whole (its 151 terms of 150 factors), still far below the nest's 1.2 million
    assert LIMITS.max_derivation_nodes < refused.value.value < 250_000


def test_derivation_budget_is_adjustable():
    text = "tanh(" * 20 + "x" + ")" * 20
    with limited(max_derivation_nodes=1_000):
        with pytest.raises(LimitError, match="max_derivation_nodes=1000"):
            symdl.derive(text, "x")
    result = symdl.derive(text, "x").result
    x = sp.Symbol("x", real=True)
    flat = sp.tanh(x)
    for _ in range(19):
        flat = sp.tanh(flat)
    point = {x: sp.Rational(3, 10)}
    assert abs(sp.N(result.subs(point), 30) - sp.N(sp.diff(flat, x).subs(point), 30)) < 1e-25


def test_large_product_derivative_is_correct_without_factoring():
    """A product of 50 sums (a derivative past FACTOR_NODES): left as the product rule gives it, and right."""
    text = "*".join(f"(x + {i})" for i in range(1, 51))
    result = symdl.derive(text, "x").result
    x = sp.Symbol("x", real=True)
    truth = sp.diff(sp.Mul(*(x + i for i in range(1, 51))), x)
    assert sp.N(result.subs(x, sp.Rational(1, 7)), 40) == sp.N(truth.subs(x, sp.Rational(1, 7)), 40)


# --- tensors: sizes checked before allocating ---------------------------------------------------------
def test_conv2d_padding_is_refused_before_allocating(hang_guard):
    with pytest.raises(LimitError, match="max_tensor_elements") as refused:
        CONV2D.forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), padding=15_000)
    assert refused.value.value == 30_002 * 30_002
    with pytest.raises(LimitError, match="max_nodes"):  # SymPy entries are priced as graph nodes
        CONV2D.symbolic(sp.Matrix([[1, 2], [3, 4]]), sp.Matrix([[1, 0], [0, 1]]), padding=100)
    same = CONV2D.forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), padding=1)
    assert same[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]  # hand-computed: overlaps of two 2×2 squares


PADDED = """title = "a 2×2 image padded by 15 000"
[network]
inputs = { image = [[1, 2], [3, 4]] }
parameters = { K = [[1, 0], [0, 1]] }
[[network.ops]]
name = "X"
op = "reshape"
inputs = ["image"]
params = { shape = [1, 2, 2] }
[[network.ops]]
name = "W"
op = "reshape"
inputs = ["K"]
params = { shape = [1, 1, 2, 2] }
[[network.ops]]
name = "Y"
op = "conv2d"
inputs = ["X", "W"]
params = { padding = 15000 }
"""


def test_cli_conv2d_padding_bomb(tmp_path):
    (tmp_path / "padded.toml").write_text(PADDED)
    assert_refused(cli("solve", "padded.toml", cwd=tmp_path), "max_tensor_elements")


# --- exercise: a budget for the whole sheet -----------------------------------------------------------
def test_exercise_sheet_over_budget_is_refused_before_drawing(monkeypatch, hang_guard):
    from symdl.worksheet import variants as module
    solved = []
    real = module.solve
    monkeypatch.setattr(module, "solve", lambda problem: solved.append(problem) or real(problem))
    quantities = len(real(load(EXAMPLES / "lstm.toml")).quantities)  # 69
    solved.clear()
    with limited(max_exercise_work=50 * quantities), pytest.raises(LimitError, match="max_exercise_work") as refused:
        variants(load(EXAMPLES / "lstm.toml"), seed=1, count=51)
    assert refused.value.value == 51 * quantities
    assert len(solved) == 1  # the file's own numbers, to price the sheet; no variant was drawn


def test_a_sheet_of_large_arrays_is_priced_by_its_quantities_not_their_entries():
    """Masked attention works out 3 435 numbers in 91 quantities, each array in one NumPy call:
    priced at 91 a variant, not 3 435 (which would refuse even one)."""
    sheet = variants(load(EXAMPLES / "masked_multihead_attention.toml"), seed=7, count=5)
    assert [v.number for v in sheet] == [1, 2, 3, 4, 5]


def test_a_hundred_lstm_variants_are_refused_up_front_saying_how_many_fit(monkeypatch, hang_guard):
    """What a user expects: a sheet of 20 LSTM variants is drawn, 100 (13 s of CPU) are refused at once."""
    from symdl.worksheet import variants as module
    problem = load(EXAMPLES / "lstm.toml")
    price = len(module.solve(problem).quantities)
    fit = LIMITS.max_exercise_work // price
    assert 20 <= fit < 100
    drawn = []
    monkeypatch.setattr(module, "_draw", lambda *args: drawn.append(args[3]))  # the variant's number
    variants(problem, seed=1, count=fit)
    assert drawn == list(range(1, fit + 1))  # not refused up front (each draw is then charged as made)
    drawn.clear()
    with pytest.raises(LimitError, match=f"only {fit} fit") as refused:
        variants(problem, seed=1, count=100)
    assert refused.value.value == 100 * price and drawn == []
    with limited(max_exercise_work=100 * price):  # --limit raises it
        variants(problem, seed=1, count=100)
    assert len(drawn) == 100


def test_exercise_budget_counts_every_draw(monkeypatch):
    """Draws that are thrown away (here: every one, as if each landed on a kink) are charged too: the
    first draw was priced before drawing, each one after it as it is made."""
    from symdl.worksheet import variants as module
    problem = load(EXAMPLES / "sigmoid_neuron.toml")
    price = len(module.solve(problem).quantities)
    solved = []
    real = module.solve
    monkeypatch.setattr(module, "solve", lambda p: solved.append(p) or real(p))
    monkeypatch.setattr(module, "_on_a_kink", lambda solution: True)
    with limited(max_exercise_work=10 * price):
        with pytest.raises(LimitError, match="draws thrown away") as refused:
            variants(problem, seed=1, count=1)
    assert refused.value.value == 11 * price  # the twelfth draw (the eleventh again) is refused before it is solved
    assert len(solved) == 1 + 11  # the pricing solve, the first draw and ten again


def test_a_sheet_of_40_sigmoid_neurons_is_drawn_with_its_failed_draws():
    """Over half the sigmoid neuron's draws are thrown away (saturated); 40 variants still fit the budget."""
    sheet = variants(load(EXAMPLES / "sigmoid_neuron.toml"), seed=1, count=40)
    assert [v.number for v in sheet] == list(range(1, 41))


def test_exercise_within_budget_is_answered():
    sheet = variants(load(EXAMPLES / "sigmoid_neuron.toml"), seed=3, count=3)
    assert [v.number for v in sheet] == [1, 2, 3]


# --- problem and notes files: regular files only, read with a bound ----------------------------------
@pytest.mark.parametrize("command", ["solve", "check", "audit"])
def test_cli_refuses_dev_zero(command, tmp_path):
    assert_refused(cli(command, "/dev/zero", cwd=tmp_path), "it is a device, not a regular file")


@pytest.mark.parametrize("command", ["solve", "audit"])
def test_cli_refuses_a_fifo_without_blocking(command, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    assert_refused(cli(command, "pipe", cwd=tmp_path), "it is a FIFO, not a regular file")


def test_cli_stdin_is_still_read_with_a_bound(tmp_path):
    with open("/dev/zero", "rb") as zero:
        assert_refused(cli("solve", "-", cwd=tmp_path, stdin=zero), "longer than")


# --- backprop --json: a node's number beyond float64 -------------------------------------------------
def test_cli_json_refuses_an_intermediate_beyond_float64(tmp_path):
    """log(1 + e^900) = 900 is answered, but its node e^900 ≈ 7.3e390 has no float64: the table shows it,
    the JSON cannot."""
    table = cli("backprop", "log(1+exp(t))", "--at", "t=900", cwd=tmp_path)
    assert table.returncode == 0 and b"7.32881e+390" in table.stdout
    assert_refused(cli("backprop", "log(1+exp(t))", "--at", "t=900", "--json", cwd=tmp_path),
                   "beyond the range of a 64-bit float")


def test_limits_name_every_budget():
    assert {"max_derivation_nodes", "max_tensor_elements", "max_exercise_work"} <= set(vars(LIMITS))
    with pytest.raises(SymdlError):
        symdl.configure_limits(max_exercise_work=0)
