"""The step-recording differentiator.

Expected results are the textbook derivatives written by hand; everything else
is checked against SymPy's own ``diff`` of the flat expression, numerically at
random points, so no output of symdl is pasted back as its own expectation.
"""

from __future__ import annotations

import json
import random

import pytest
import sympy as sp
from hypothesis import assume, given
from sympy import Abs, Derivative, Heaviside, Max, Min, exp, log, tanh

from strategies import SYMBOLS, X, expressions, points
from symdl.derivation import Derivation, Step
from symdl.derive import derive
from symdl.errors import LimitError
from symdl.functions import leaky_relu, relu, sigmoid, softplus
from symdl.limits import limited
from symdl.printing.text import text

x, y, w, b = sp.symbols("x y w b", real=True)
KINKED = (Heaviside, Abs, relu, leaky_relu, sp.sign)  # kinked where their first argument is 0


def value(expr: sp.Expr, at: dict) -> complex:
    """expr at a point, by SymPy's arbitrary-precision evaluation (unevaluated Derivatives done first)."""
    return complex(expr.doit().xreplace({s: sp.Float(v, 30) for s, v in at.items()}).evalf(30))


def near_kink(expr: sp.Expr, at: dict, gap: float = 1e-6) -> bool:
    """True where a max/min/step/abs is at (or next to) a tie: one-sided derivatives differ there."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (Max, Min)):
            pivots = [value(a, at).real for a in node.args]
        elif isinstance(node, KINKED):
            pivots = [value(node.args[0], at).real, 0.0]
        else:
            continue
        if any(abs(p - q) < gap for i, p in enumerate(pivots) for q in pivots[i + 1:]):
            return True
    return False


def assert_equal_at(a: sp.Expr, b: sp.Expr, at: dict) -> None:
    assert value(a, at) == pytest.approx(value(b, at), rel=1e-9, abs=1e-9)


def random_point(*exprs: sp.Expr, seed: int = 0) -> dict:
    rng = random.Random(seed)
    names = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    return {s: rng.uniform(-2, 2) for s in names}


# --- the textbook results, exactly ------------------------------------------------------

EXACT = [
    (tanh(x), x, "1 - tanh(x)**2"),
    (sigmoid(x), x, "(1 - sigmoid(x))*sigmoid(x)"),
    (softplus(x), x, "sigmoid(x)"),
    ((exp(x) - exp(-x)) / (exp(x) + exp(-x)), x, "1 - tanh(x)**2"),
    (1 / (1 + exp(-x)), x, "(1 - sigmoid(x))*sigmoid(x)"),
    (log(1 + exp(x)), x, "sigmoid(x)"),
    (x**3, x, "3*x**2"),
    (relu(x), x, "Heaviside(x, 0)"),
]


@pytest.mark.parametrize("expr, wrt, expected", EXACT, ids=[e[2] + " from " + str(e[0]) for e in EXACT])
def test_textbook_derivatives_exactly(expr, wrt, expected):
    assert str(derive(expr, wrt).result) == expected


def test_neuron_weight_gradient_is_written_with_sigmoid():
    expr = sigmoid(w * x + b)
    result = derive(expr, w).result
    assert not result.has(exp)
    assert result.has(sigmoid)
    at = random_point(expr)
    assert_equal_at(result, sp.diff(expr, w), at)
    # x·σ(z)·(1 − σ(z)), the hand derivation by the chain rule
    z = w * x + b
    assert sp.expand(result - x * sigmoid(z) * (1 - sigmoid(z))) == 0


@pytest.mark.parametrize("expr", [
    leaky_relu(x), leaky_relu(x, sp.Rational(1, 5)), Max(x, y), Min(x, y), Abs(x), relu(2 * x - y),
    Max(x, y**2, 1 - x), leaky_relu(x * y, sp.Rational(1, 10)),
])
def test_piecewise_ops_use_the_registry_rule(expr):
    result = derive(expr, x).result
    for seed in range(5):
        at = random_point(expr, seed=seed)
        assert_equal_at(result, sp.diff(expr, x), at)


def test_string_input_is_accepted_for_the_variable():
    assert str(derive(tanh(x), "x").result) == "1 - tanh(x)**2"


# --- the steps ---------------------------------------------------------------------------

def steps_hold(derivation: Derivation, seeds=range(3)) -> None:
    """Every step is an equation: lhs, rhs and the result after the sub-steps agree numerically
    (Derivatives evaluated by SymPy)."""
    for step in derivation.steps:
        for rhs in (step.rhs, step.result) if step.result is not None else (step.rhs,):
            for seed in seeds:
                at = random_point(step.lhs, rhs, seed=seed)
                if not (near_kink(step.lhs.doit(), at) or near_kink(rhs.doit(), at)):
                    assert_equal_at(step.lhs, rhs, at)


@pytest.mark.parametrize("expr, wrt", [(e, v) for e, v, _ in EXACT] + [
    (sigmoid(w * x + b), w), (tanh(x**2) * sp.sin(x) / (1 + x**2), x), (x**x, x), (2**x * softplus(-x), x),
    (sp.sqrt(1 + x**2) * log(1 + x**2), x), (tanh(sigmoid(x) + softplus(x)), x),
])
def test_every_step_is_a_true_equation(expr, wrt):
    derivation = derive(expr, wrt)
    steps_hold(derivation)
    root = derivation.tree[-1]  # after the "recognise" step, if there is one
    if derivation.tree[0].rule != "recognise":  # a definition's page opens with its own derivative
        assert derivation.tree[0].lhs == Derivative(expr, wrt)
    assert (root.rhs if root.result is None else root.result) == derivation.result


def test_tanh_is_explained_by_the_quotient_rule():
    (root,) = derive(tanh(x), x).tree
    assert root.rule == "known derivative" and root.rhs == 1 - tanh(x) ** 2
    # the proof is nested beneath the rule it justifies, in reading order
    assert [s.rule for s in root.substeps] == ["definition", "quotient rule", "canonical form"]
    assert root.substeps[0].rhs == Derivative((exp(x) - exp(-x)) / (exp(x) + exp(-x)), x)
    assert root.substeps[-1].rhs == 1 - tanh(x) ** 2


def test_a_rule_comes_before_the_steps_it_uses():
    steps = derive(sigmoid(3 * x), x).steps
    assert [s.rule for s in steps][:2] == ["chain rule", "known derivative"]  # not the known derivative first
    chain = steps[0]
    assert chain.substeps[0] is steps[1]
    assert chain.formula is not None and chain.parts[0][1] == 3 * x


def test_rules_carry_their_general_formula():
    f, g = sp.Function("f")(x), sp.Function("g")(x)
    (root,) = derive(sp.sin(x) / (1 + x**2), x).tree
    lhs, rhs = root.formula
    assert lhs == Derivative(f / g, x)
    # the formula is the quotient rule: equal to SymPy's own derivative of f/g
    assert sp.simplify(rhs.doit() - (f / g).diff(x)) == 0
    assert dict(root.parts) == {f: sp.sin(x), g: 1 + x**2}


def test_sigmoid_and_softplus_explanations():
    (sigmoid_root,) = derive(sigmoid(x), x).tree
    assert [s.rule for s in sigmoid_root.substeps][:2] == ["definition", "quotient rule"]
    softplus_rules = [s.rule for s in derive(softplus(x), x).steps]
    assert softplus_rules[:2] == ["known derivative", "definition"] and "chain rule" in softplus_rules


def test_without_explanation_the_known_derivative_stands_alone():
    steps = derive(tanh(x), x, explain=False).steps
    assert [s.rule for s in steps] == ["known derivative"]


def test_a_definition_is_differentiated_first_and_recognised_last():
    """The input tanh's definition: the quotient rule on it, then 1 − tanh²(x) — not the known derivative
    stated first with its proof beneath (circular on a page titled "by the quotient rule")."""
    written = (exp(x) - exp(-x)) / (exp(x) + exp(-x))
    first, last = derive(written, x).tree
    assert first.rule == "quotient rule" and first.lhs == Derivative(written, x)
    assert last.rule == "canonical form" and last.rhs == 1 - tanh(x) ** 2 and dict(last.parts) == {tanh(x): written}
    assert sp.simplify(last.lhs - written.diff(x)) == 0  # the quotient rule's result, before it is recognised


def test_an_exponential_form_inside_a_larger_input_is_recognised_first():
    steps = derive(x * (exp(x) - exp(-x)) / (exp(x) + exp(-x)), x).steps
    assert steps[0].rule == "recognise" and steps[0].rhs == x * tanh(x)


def test_chain_rule_for_an_inner_expression():
    derivation = derive(sigmoid(w * x + b), w)
    rules = [s.rule for s in derivation.steps]
    assert "chain rule" in rules and "known derivative" in rules
    known = next(s for s in derivation.steps if s.rule == "known derivative" and s.lhs.has(sigmoid))
    (u,) = known.lhs.free_symbols - {x, w, b}  # written once for a generic argument u
    assert known.rhs == sigmoid(u) * (1 - sigmoid(u))


def test_product_and_quotient_rules_are_named():
    assert derive(x * sp.sin(x), x).steps[0].rule == "product rule"
    assert derive(sp.sin(x) / (1 + x**2), x).steps[0].rule == "quotient rule"
    assert derive(3 * sp.sin(x), x).steps[0].rule == "constant multiple rule"
    assert derive(x**x, x).steps[0].rule == "general power"
    assert derive(y, x).steps[0].rule == "constant"


# --- serialisation and printing --------------------------------------------------------

@pytest.mark.parametrize("expr", [tanh(x), sigmoid(x), softplus(x)])
def test_to_dict_is_json_and_exp_free(expr):
    data = derive(expr, x).to_dict()
    text = json.dumps(data)
    assert json.loads(text)["derivative"] == data["derivative"]
    assert set(data) == {"expression", "wrt", "derivative", "steps"}
    assert "exp" not in data["derivative"]
    assert data["wrt"] == "x" and data["expression"] == str(expr)
    assert all(set(step) == {"lhs", "rhs", "rule", "note"} for step in data["steps"])


def test_text_rendering_numbers_each_step_as_mathematics():
    derivation = derive(x**3 + tanh(x), x, explain=False)
    text = str(derivation)
    lines = text.splitlines()
    assert lines[0] == "d/dx (x³ + tanh(x)) = 3x² + 1 − tanh²(x)"
    numbered = [line.strip() for line in lines if line.strip()[:1].isdigit() and ". " in line]
    assert [line.split(". ", 1)[1].split(":")[0] for line in numbered] == [s.rule for s in derivation.steps]
    assert [line.split(". ", 1)[0] for line in numbered] == ["1", "1.1", "1.2"]
    assert "Derivative(" not in text and "**" not in text and "-" not in text
    assert str(3 * x**2 + 1 - tanh(x) ** 2) in repr(derivation)


def test_step_is_immutable():
    step = Step(x, x, "constant")
    with pytest.raises(AttributeError):
        step.rule = "other"


# --- limits ------------------------------------------------------------------------------

def test_refuses_expressions_beyond_max_nodes():
    big = sum(tanh(i * x) for i in range(1, 30))
    with limited(max_nodes=20):
        with pytest.raises(LimitError, match="max_nodes"):
            derive(big, x)


# --- against SymPy, on random expressions ------------------------------------------------

@given(expressions, points)
def test_derivative_matches_sympy(expr, point):
    at = dict(zip(SYMBOLS, point))
    expected = sp.diff(expr, X)
    result = derive(expr, X).result
    assume(not near_kink(expr, at) and not near_kink(result, at) and not near_kink(expected, at))
    assert_equal_at(result, expected, at)


@given(expressions)
def test_steps_of_random_expressions_hold(expr):
    steps_hold(derive(expr, X), seeds=range(2))


# --- softmax outputs by name: sᵢ, where s = softmax(x1, x2, x3) ----------------------------------------------
def _softmax_symbols():
    from symdl.parsing import symbol
    return [symbol(n) for n in ("x1", "x2", "x3")]


def test_softmax_outputs_are_abbreviated_by_one_letter():
    from symdl.functions import softmax
    x1, x2, x3 = _softmax_symbols()
    derivation = derive("softmax(x1, x2, x3)[1]", "x2")
    (abbreviation,) = derivation.abbreviations
    assert abbreviation.letter.name == "s" and str(abbreviation.vector) == "softmax(x1, x2, x3)"
    named = {full: name.name for full, name in abbreviation.names}
    assert named == {softmax(x1, x2, x3, 1): "s_1", softmax(x1, x2, x3, 2): "s_2"}
    s1, s2 = (sp.Symbol(n, real=True) for n in ("s_1", "s_2"))
    assert derivation.as_written().result == -s1 * s2  # ∂s₁/∂x₂ = −s₁s₂, by hand
    assert derivation.result == -softmax(x1, x2, x3, 1) * softmax(x1, x2, x3, 2)  # the value keeps the full form


def test_the_abbreviation_letter_avoids_a_name_in_use():
    derivation = derive("s*softmax(x1, x2)[1]", "x1")
    assert [a.letter.name for a in derivation.abbreviations] == ["p"]
    assert "where p = softmax(x1, x2)" in str(derivation)


def test_the_log_softmax_family_reads_in_the_same_letter():
    """log_softmax(v)[i] is log sᵢ and cross_entropy(v)[k] is −log s_k, as a course writes them."""
    printed = str(derive("log_softmax(x1, x2, x3)[2] + 2*cross_entropy(x1, x2, x3)[1]", "x1")).splitlines()
    assert printed[0] == "d/dx1 (log(s₂) − 2·log(s₁)) = s₁ − 2"  # −s₁ + 2(s₁ − 1), by hand
    assert printed[1] == "where s = softmax(x1, x2, x3)"


def test_derive_prints_the_textbook_softmax_derivative_on_the_command_line():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "symdl", "derive", "softmax(x1,x2,x3)[1]", "--wrt", "x2"],
                          capture_output=True, text=True, timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert lines[:2] == ["ds₁/dx2 = −s₁·s₂", "where s = softmax(x1, x2, x3)"]
    assert "softmax derivative: ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ), with i = 1, j = 2" in lines[3]
    as_json = subprocess.run([sys.executable, "-m", "symdl", "derive", "softmax(x1,x2,x3)[1]", "--wrt", "x2", "--json"],
                             capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(as_json.stdout)
    assert set(result) == {"expression", "wrt", "derivative", "steps"}
    assert result["derivative"] == "-softmax(x1, x2, x3)[1]*softmax(x1, x2, x3)[2]"


# --- a step function's derivative as cases ------------------------------------------------------------------
@pytest.mark.parametrize("source, wrt, headline", [
    ("relu(x)", "x", "d/dx ReLU(x) = {1 if x > 0; 0 otherwise}"),
    ("leaky_relu(x, 0.2)", "x", "d/dx LeakyReLU(x, 1/5) = {1 if x > 0; 1/5 otherwise}"),
    ("elu(x)", "x", "d/dx ELU(x, 1) = {1 if x > 0; eˣ otherwise}"),  # e^min(0, x) is eˣ where x ≤ 0
    ("relu(3*x)", "x", "d/dx ReLU(3x) = {3 if x > 0; 0 otherwise}"),  # SymPy reads 3x > 0 as x > 0
])
def test_a_step_functions_derivative_is_written_as_cases(source, wrt, headline):
    derivation = derive(source, wrt)
    assert str(derivation).splitlines()[0] == headline
    if not source.startswith("elu"):  # ELU's own derivative is piecewise; the others' JSON keeps H(x)
        assert "Heaviside" in derivation.to_dict()["derivative"]


def _called_from(frames: int, work):
    """``work()`` run with ``frames`` more Python frames beneath it, as from deep inside a caller's program."""
    return work() if frames == 0 else _called_from(frames - 1, work)


def test_a_deep_nest_is_derived_however_deep_the_caller_is():
    extra = 700  # frames the caller is already down; 400 were enough to fail when derive took the stack as it found it
    depth = 190  # under max_depth (200); the rules recurse once a level, SymPy's printing and sorting again
    x = sp.Symbol("x", real=True)
    levels = [x]  # the chain rule by hand: d log(L_k)/dx = L_k'/L_k, so the derivative is Π 1/L_k
    for _ in range(depth - 1):
        levels.append(log(levels[-1]))
    with limited(max_derivation_nodes=10**7):
        result = _called_from(extra, lambda: derive("log(" * depth + "x" + ")" * depth, "x")).result
    assert result == sp.Mul(*(1 / level for level in levels))


def test_a_sympy_expression_deeper_than_the_stack_allows_is_a_limit_error():
    x = sp.Symbol("x")  # not symdl's real x: taking it in symdl's symbols recurses too
    deep = x
    for _ in range(3_000):  # built by hand: no parser's max_depth stands in the way
        deep = sp.sin(deep, evaluate=False)
    with pytest.raises(LimitError, match="max_depth"):
        derive(deep, x)


def test_a_sum_rule_writes_the_derivatives_in_the_order_of_the_sum():
    """d/dx (eˣ − e⁻ˣ) = d/dx eˣ + d/dx (−e⁻ˣ): term by term as the sum is written, not SymPy's order."""
    (step,) = [s for s in derive(exp(x) - exp(-x), x).steps if s.rule == "sum rule"]
    assert text(step.rhs) == "d/dx eˣ + d/dx (−e⁻ˣ)"
