"""The canonical simplifier: each rule alone (a case that fires, a near miss that must not),
the rule sets on the textbook forms, and a property check that rewriting never changes a value.

Expected forms are the textbook identities written out by hand; every rewrite is
also checked numerically against the expression it came from.
"""

from __future__ import annotations

import collections
import dataclasses
import random

import pytest
import sympy as sp
from hypothesis import given, strategies as st
from sympy import Max, cosh, exp, log, sech, tanh

from strategies import SYMBOLS, expressions, points
from symdl.functions import relu, sigmoid, softplus
from symdl.rewrite import CANONICAL, STABLE, canonical
from symdl.rewriting import apply_rules

x, y = sp.symbols("x y", real=True)
w0, w1, w2, x0, x1 = sp.symbols("w0 w1 w2 x0 x1", real=True)
RULES = {rule.name: rule for rule in CANONICAL + STABLE}


def value(expr: sp.Expr, at: dict) -> complex:
    """expr at a point, by SymPy's arbitrary-precision evaluation (independent of symdl.numeric)."""
    return complex(expr.xreplace({s: sp.Float(v, 30) for s, v in at.items()}).evalf(30))


def assert_same_function(a: sp.Expr, b: sp.Expr, trials: int = 5) -> None:
    rng = random.Random(0)
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    for _ in range(trials):
        at = {s: rng.uniform(-2, 2) for s in names}
        assert value(a, at) == pytest.approx(value(b, at), rel=1e-12, abs=1e-12)


# (rule, input, the hand-written identity it should produce, a near miss it must leave alone)
SINGLE_RULES = [
    ("sigmoid-of-exp", 1 / (1 + exp(-x)), sigmoid(x), 1 / (2 + exp(-x))),
    ("sigmoid-of-exp", 1 / (1 + exp(x)), sigmoid(-x), 1 / (1 + 2 * exp(x))),
    ("sigmoid-of-exp", (1 + exp(-x)) ** -2, sigmoid(x) ** 2, (1 + exp(-x)) ** 2),
    ("sigmoid-of-exp-ratio", exp(x) * sigmoid(-x), sigmoid(x), exp(x) * sigmoid(x)),
    ("sigmoid-of-exp-ratio", y * exp(-x) * sigmoid(x) ** 2, y * sigmoid(-x) * sigmoid(x), exp(2 * x) * sigmoid(-x)),
    ("sigmoid-complement", sigmoid(x) * sigmoid(-x), sigmoid(x) * (1 - sigmoid(x)), sigmoid(x) * sigmoid(-2 * x)),
    ("tanh-of-exp", (exp(x) - exp(-x)) / (exp(x) + exp(-x)), tanh(x), (exp(x) - exp(-x)) / (exp(x) + exp(-2 * x))),
    ("tanh-of-exp", (1 - exp(-2 * x)) / (1 + exp(-2 * x)), tanh(x), (1 - exp(-2 * x)) / (2 + exp(-2 * x))),
    ("tanh-of-exp", (exp(2 * x) - 1) / (exp(2 * x) + 1), tanh(x), (exp(2 * x) + 1) / (exp(2 * x) - 1)),
    ("tanh-of-exp", (exp(-x) - exp(x)) / (exp(x) + exp(-x)), -tanh(x), (exp(x) - exp(-x)) ** 2 / (exp(x) + exp(-x))),
    ("tanh-of-sigmoid", 2 * sigmoid(2 * x) - 1, tanh(x), 2 * sigmoid(2 * x) - 2),
    ("tanh-of-sigmoid", 2 * sigmoid(2 * x) - 1 + y, tanh(x) + y, 2 * sigmoid(2 * x) + 1),
    ("softplus-of-exp", log(1 + exp(x)), softplus(x), log(2 + exp(x))),
    ("softplus-of-exp", log(1 + exp(x * y)), softplus(x * y), log(1 + 2 * exp(x))),
    ("relu-of-max", Max(0, x), relu(x), Max(1, x)),
    ("tanh-derivative-of-cosh", 1 / cosh(x) ** 2, 1 - tanh(x) ** 2, 1 / cosh(x) ** 3),
    ("tanh-derivative-of-sech", sech(x) ** 2, 1 - tanh(x) ** 2, sech(x)),
    ("log-sigmoid", log(sigmoid(x)), -softplus(-x), log(2 * sigmoid(x))),
    ("log-one-minus-sigmoid", log(1 - sigmoid(x)), -softplus(x), log(2 - sigmoid(x))),
]


@pytest.mark.parametrize("name, before, after, near_miss", SINGLE_RULES, ids=[c[0] for c in SINGLE_RULES])
def test_each_rule_alone(name, before, after, near_miss):
    result, fired = apply_rules(before, [RULES[name]])
    assert fired and set(fired) == {name}
    assert result == after
    assert_same_function(before, result)
    assert apply_rules(near_miss, [RULES[name]]) == (near_miss, [])


def test_log_exp_only_for_real_arguments():
    unevaluated = log(exp(x * y, evaluate=False), evaluate=False)  # SymPy folds the evaluated form itself
    assert apply_rules(unevaluated, [RULES["log-exp"]]) == (x * y, ["log-exp"])
    complex_argument = log(exp(sp.I * x))
    assert apply_rules(complex_argument, [RULES["log-exp"]]) == (complex_argument, [])


def test_exp_of_log_is_left_alone():
    assert apply_rules(exp(log(x + 2)), CANONICAL + STABLE) == (x + 2, [])


def test_every_rule_has_a_name_and_a_description():
    names = [rule.name for rule in CANONICAL + STABLE]
    assert len(names) == len(set(names))
    assert all(rule.description for rule in CANONICAL + STABLE)


# --- the canonical rule set on the textbook forms ---------------------------------------

TEXTBOOK = [
    (1 / (1 + exp(-x)), sigmoid(x)),
    (exp(x) / (1 + exp(x)), sigmoid(x)),
    (1 / (1 + exp(x)), sigmoid(-x)),
    ((exp(x) - exp(-x)) / (exp(x) + exp(-x)), tanh(x)),
    ((1 - exp(-2 * x)) / (1 + exp(-2 * x)), tanh(x)),
    ((exp(2 * x) - 1) / (exp(2 * x) + 1), tanh(x)),
    (2 * sigmoid(2 * x) - 1, tanh(x)),
    (2 / (1 + exp(-2 * x)) - 1, tanh(x)),
    (log(1 + exp(x)), softplus(x)),
    (Max(0, x), relu(x)),
    (sigmoid(x) * (1 - sigmoid(x)), sigmoid(x) * (1 - sigmoid(x))),
    (1 / cosh(x) ** 2, 1 - tanh(x) ** 2),
    (sech(x) ** 2, 1 - tanh(x) ** 2),
    (exp(-x) / (1 + exp(-x)) ** 2, sigmoid(x) * (1 - sigmoid(x))),
    (sp.diff(1 / (1 + exp(-x)), x), sigmoid(x) * (1 - sigmoid(x))),
    (sp.diff((exp(x) - exp(-x)) / (exp(x) + exp(-x)), x), 1 - tanh(x) ** 2),
]


@pytest.mark.parametrize("before, after", TEXTBOOK, ids=[str(b) for b, _ in TEXTBOOK])
def test_canonical_textbook_forms(before, after):
    assert canonical(before) == after
    assert_same_function(before, after)


def test_neuron_pre_activation_that_sympy_distributes():
    z = w0 * x0 + w1 * x1 + w2
    written = 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))
    assert written.args[0].args[1] == exp(-w0 * x0 - w1 * x1 - w2)  # the minus is already spread out
    assert canonical(written) == sigmoid(z)
    derivative = exp(-z) / (1 + exp(-z)) ** 2
    assert canonical(derivative) == sigmoid(z) * (1 - sigmoid(z))
    assert canonical((exp(z) - exp(-z)) / (exp(z) + exp(-z))) == tanh(z)


def test_stable_rules_after_canonical():
    result, fired = apply_rules(log(1 / (1 + exp(-x))), CANONICAL + STABLE)
    assert result == -softplus(-x)
    assert fired == ["sigmoid-of-exp", "log-sigmoid"]
    assert apply_rules(log(1 - 1 / (1 + exp(-x))), CANONICAL + STABLE)[0] == -softplus(x)


def test_rules_fire_inside_larger_expressions():
    before = y * (exp(x) - exp(-x)) / (exp(x) + exp(-x)) + 3 * log(1 + exp(2 * y)) + Max(0, x - y)
    assert canonical(before) == y * tanh(x) + 3 * softplus(2 * y) + relu(x - y)


# --- properties ---------------------------------------------------------------------------

EXPONENTIAL_FORMS = (
    lambda u: 1 / (1 + exp(-u)),
    lambda u: exp(u) / (1 + exp(u)),
    lambda u: (exp(u) - exp(-u)) / (exp(u) + exp(-u)),
    lambda u: (1 - exp(-2 * u)) / (1 + exp(-2 * u)),
    lambda u: log(1 + exp(u)),
    lambda u: exp(-u) / (1 + exp(-u)) ** 2,
    lambda u: 1 / cosh(u) ** 2,
    lambda u: 2 * sigmoid(2 * u) - 1,
    lambda u: Max(0, u),
)
forms = st.tuples(st.sampled_from(EXPONENTIAL_FORMS), expressions).map(lambda t: t[0](t[1]))
mixed = st.one_of(expressions, forms, st.tuples(forms, forms, expressions).map(lambda t: t[0] * t[2] + t[1]))


@given(mixed, points)
def test_canonical_never_changes_the_value(expr, point):
    at = dict(zip(SYMBOLS, point))
    assert value(canonical(expr), at) == pytest.approx(value(expr, at), rel=1e-9, abs=1e-9)


def test_canonical_does_linear_work_on_thousands_of_operations():
    rng = random.Random(1)
    names = sp.symbols("a0:20", real=True)
    terms = []
    for _ in range(150):
        u = sum(rng.choice([-2, -1, 1, 3]) * rng.choice(names) * rng.choice(names) for _ in range(3))
        terms.append(rng.choice(EXPONENTIAL_FORMS)(u))
    big = sp.Add(*terms)
    assert sp.count_ops(big) > 1500
    attempts = collections.Counter()

    def counted(rule):
        def rewrite(node):
            attempts[rule.name] += 1
            return rule.rewrite(node)
        return dataclasses.replace(rule, rewrite=rewrite)

    result, fired = apply_rules(big, [counted(rule) for rule in CANONICAL])
    assert result == canonical(big) and not result.has(exp)
    # linear work: each distinct node (of the input or the result) is tried at most twice by the rules for
    # its head, and once more after each rule that fired; a matcher that revisited subtrees would not fit
    nodes = len(set(sp.preorder_traversal(big)) | set(sp.preorder_traversal(result)))
    rules_per_head = max(collections.Counter(rule.head for rule in CANONICAL).values())
    assert sum(attempts.values()) <= rules_per_head * (2 * nodes + len(fired))
