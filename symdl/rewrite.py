"""The canonical simplifier: named rewrite rules as data, run by one small matcher.

Each :class:`~symdl.rewriting.Rule` names one identity (``1/(1 + exp(-u)) → sigmoid(u)``) and
rewrites a single node of the SymPy tree, or declines. Rules are written as a
``Wild`` pattern and its replacement where SymPy's matcher is dependable
(function heads, fixed constants) and as a small match function where it is
not (products and sums whose factors can sit anywhere, coefficients folded in
by auto-evaluation). :func:`~symdl.rewriting.apply_rules` visits every node once, trying the
rules on the node as written and again once its children are canonical (a
child rewrite can hide a parent pattern: ``1 + exp(-2u)`` inside tanh's
quotient would otherwise turn into a sigmoid first), and re-checks a replaced
node until no rule fires. Shared subtrees are visited once. Nothing here calls
``simplify``: every rule is a local, cheap structural test.

Rule sets:

- ``CANONICAL`` — exponential forms recognised as activations and their
  derivatives in textbook form (σ(u)(1 − σ(u)), 1 − tanh(u)²).
- ``TEXTBOOK`` (:mod:`symdl.rewrite_softmax`) — ``CANONICAL`` and the softmax
  family, for derivations; kernels keep ``CANONICAL``, so the written-out forms go
  through ``STABLE_STEPS`` below.
- ``STABLE`` — kernel rewrites that avoid overflow (log σ(u) → −softplus(−u)) and
  cancellation (1 − σ(u) → σ(−u), where σ(u) rounds to 1; 1 − tanh² → sech²).
  ``STABLE_STEPS`` is the part whose results are gates (not sech²), for expressions
  that a graph is still to be built from.
  ``exp(log(u))`` needs no rule: SymPy already folds it, and for u ≤ 0 the
  fold is the only sane reading.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional, Sequence

import sympy as sp
from sympy import Abs, Add, Max, Mul, Pow, S, Wild, cos, cosh, exp, log, sech, sin, tanh

from symdl.functions import (expm1, exprel, hypot, log1p, log_softmax, logaddexp, relu, sigmoid, softmax,
                             softplus)
from symdl.rewriting import Rule, apply_rules, pattern_rule

Expr = sp.Expr
# --- small structural views shared by the match functions ---------------------

def factor_pairs(node: Expr) -> list[tuple[Expr, Expr]]:
    """A product as (base, exponent) pairs; ``exp(u)`` stays whole rather than becoming E**u."""
    return [(f, S.One) if isinstance(f, exp) else f.as_base_exp() for f in Mul.make_args(node)]


def product_of(pairs: Iterable[tuple[Expr, Expr]]) -> Expr:
    return Mul(*(base**power for base, power in pairs))


def _scaled_exp(term: Expr) -> Optional[tuple[Expr, Expr]]:
    """(c, v) when term is c·exp(v), reading a bare number c as c·exp(0)."""
    coeff, rest = term.as_coeff_Mul()
    if rest is S.One:
        return coeff, S.Zero
    if isinstance(rest, exp):
        return coeff, rest.exp
    return None


def _two_exps(node: Expr) -> Optional[tuple[tuple[Expr, Expr], tuple[Expr, Expr]]]:
    """The two (c, v) terms of a sum c₁·exp(v₁) + c₂·exp(v₂), else None."""
    if not isinstance(node, Add) or len(node.args) != 2:
        return None
    first, second = (_scaled_exp(t) for t in node.args)
    return (first, second) if first and second else None


def _sigmoid_powers(pairs: Sequence[tuple[Expr, Expr]]) -> dict[int, Expr]:
    """Position in ``pairs`` → power k, for each sigmoid factor σ(u)**k with k a positive integer."""
    return {i: power for i, (base, power) in enumerate(pairs)
            if isinstance(base, sigmoid) and power.is_Integer and power > 0}


# --- match functions (where Wild is unreliable or slow) ------------------------

def _logistic_power(node: Expr) -> Optional[Expr]:
    """(1 + e^v)^−k → σ(−v)^k. A Wild pattern would do, but SymPy's Add matching is slow on every power."""
    base, power = node.args
    if not (power.is_Integer and power < 0 and isinstance(base, Add) and len(base.args) == 2):
        return None
    one, term = base.args
    return sigmoid(-term.exp) ** -power if one is S.One and isinstance(term, exp) else None


def _exp_sum(node: Expr) -> Optional[tuple[Expr, set]]:
    """(d, {p, q}) when node is d·e^p + d·e^q with p ≠ q."""
    terms = _two_exps(node)
    if terms is None or terms[0][0] != terms[1][0] or terms[0][1] == terms[1][1]:
        return None
    return terms[0][0], {terms[0][1], terms[1][1]}


def _exp_half_difference(node: Expr, exponents: set) -> Optional[tuple[Expr, Expr]]:
    """(c, (p − q)/2) when node is c·e^p − c·e^q over the given exponents {p, q}."""
    terms = _two_exps(node)
    if terms is None or terms[0][0] != -terms[1][0]:
        return None
    (c, p), (_, q) = sorted(terms, key=lambda t: bool(t[0].is_negative))  # the positive term first
    return (c, (p - q) / 2) if {p, q} == exponents else None


def _tanh_quotient(node: Expr) -> Optional[Expr]:
    """Π(c·e^p − c·e^q)^a / (d·e^p + d·e^q)^k with Σa = k → Π((c/d)·tanh((p − q)/2))^a.

    Numerators may come in either sign and as several factors, as SymPy's own
    derivative of the exponential form writes them: −N·N/D² → −tanh².
    """
    pairs = factor_pairs(node)
    for i, (den, den_power) in enumerate(pairs):
        denominator = _exp_sum(den) if den_power.is_Integer and den_power < 0 else None
        if denominator is None:
            continue
        d, exponents = denominator
        matched = {j: view for j, (num, power) in enumerate(pairs)
                   if power.is_Integer and power > 0
                   and (view := _exp_half_difference(num, exponents)) is not None}
        if sum(pairs[j][1] for j in matched) == -den_power:
            rest = [f for k, f in enumerate(pairs) if k != i and k not in matched]
            tanhs = [(c / d * tanh(half)) ** pairs[j][1] for j, (c, half) in matched.items()]
            return product_of(rest) * Mul(*tanhs)
    return None


def _exp_times_sigmoid(node: Expr) -> Optional[Expr]:
    """exp(u)·σ(−u) → σ(u): e^u/(1 + e^u) = 1/(e^−u + 1)."""
    pairs = factor_pairs(node)
    sigmoids = _sigmoid_powers(pairs)
    for i, (base, power) in enumerate(pairs):
        if not (isinstance(base, exp) and power is S.One):
            continue
        for j, k in sigmoids.items():
            if pairs[j][0].args[0] == -base.exp:  # structural: an assumption query (is_zero) is slow on deep trees
                rest = [f for m, f in enumerate(pairs) if m not in (i, j)]
                return product_of(rest) * sigmoid(base.exp) * pairs[j][0] ** (k - 1)
    return None


def _sigmoid_complement(node: Expr) -> Optional[Expr]:
    """σ(u)·σ(−u) → σ(u)·(1 − σ(u)), keeping the argument written without a leading minus."""
    pairs = factor_pairs(node)
    sigmoids = _sigmoid_powers(pairs)
    for i in sigmoids:
        for j in sigmoids:
            u, v = pairs[i][0].args[0], pairs[j][0].args[0]
            if i != j and v == -u and v.could_extract_minus_sign():
                rest = [f for m, f in enumerate(pairs) if m != j]
                return product_of(rest) * (1 - sigmoid(u)) ** sigmoids[j]
    return None


def _tanh_from_sigmoid(node: Expr) -> Optional[Expr]:
    """c·σ(s) − c/2 → (c/2)·tanh(s/2), the identity tanh(u) = 2σ(2u) − 1 scaled."""
    constant, terms = node.as_coeff_Add()
    for term in Add.make_args(terms):
        c, f = term.as_coeff_Mul()
        if isinstance(f, sigmoid) and constant == -c / 2 and c != 0:
            return terms - term + c / 2 * tanh(f.args[0] / 2)
    return None


def _complement(node: Expr, head: type, power: int, stable: Callable[[Expr], Expr]) -> Optional[Expr]:
    """c − c·f(u)^power, beside any other terms, → c·stable(u): the same number without the
    subtraction, which loses every digit where f(u)^power rounds to 1."""
    constant, terms = node.as_coeff_Add()
    for term in Add.make_args(terms):
        c, f = term.as_coeff_Mul()
        base, exponent = f.as_base_exp()
        if isinstance(base, head) and exponent == power and constant != 0 and c == -constant:
            return terms - term + constant * stable(base)
    return None


def _other_shares(share: Expr) -> Expr:
    """1 − sᵢ as Σₖ≠ᵢ sₖ: positive terms, no cancellation."""
    *logits, index = share.args
    return Add(*(softmax(*logits, k) for k in range(1, len(logits) + 1) if k != index))


def _exponents(node: Expr) -> Optional[list[Expr]]:
    """[v₁, …, vₙ] (n ≥ 2) when node is Σ cᵢ·exp(vᵢ) with each cᵢ a positive number, cᵢ folded in as + log cᵢ."""
    if not isinstance(node, Add):
        return None
    terms = [_scaled_exp(t) for t in node.args]
    if not all(t and t[0].is_positive for t in terms):
        return None
    return [v if c is S.One else v + log(c) for c, v in terms]


def _logaddexp(exponents: Sequence[Expr]) -> Expr:
    """log Σ exp(vᵢ) as nested logaddexp gates: each is max-shifted by NumPy, its σ gradients never overflow."""
    total = exponents[0]
    for v in exponents[1:]:
        total = logaddexp(total, v)
    return total


def _log_sum_exp(node: Expr) -> Optional[Expr]:
    """log(Σ exp(vᵢ)) → logaddexp(…): exp(1000) overflows where the log of the sum is 1000.3."""
    exponents = _exponents(node.args[0])
    return _logaddexp(exponents) if exponents else None


def _softmax(node: Expr) -> Optional[Expr]:
    """exp(a)/Σ exp(vᵢ), a among the vᵢ → σ(a − b) for two terms, exp(a − logaddexp(vᵢ…)) for more."""
    pairs = factor_pairs(node)
    for i, (den, power) in enumerate(pairs):
        exponents = _exponents(den) if power is S.NegativeOne else None
        if exponents is None:
            continue
        for j, (num, num_power) in enumerate(pairs):
            if isinstance(num, exp) and num_power is S.One and num.exp in exponents:
                a = num.exp
                others = [v for v in exponents if v != a] if exponents.count(a) == 1 else None
                if others is None:
                    continue
                share = sigmoid(a - others[0]) if len(others) == 1 else exp(a - _logaddexp(exponents))
                return product_of(f for k, f in enumerate(pairs) if k not in (i, j)) * share
    return None


def _expm1(node: Expr) -> Optional[Expr]:
    """exp(v) − 1 (beside other terms) → expm1(v): the subtraction loses every digit where exp(v) rounds to 1."""
    constant, terms = node.as_coeff_Add()
    if constant is not S.NegativeOne:
        return None
    for term in Add.make_args(terms):
        if isinstance(term, exp):
            return terms - term + expm1(term.exp)
    return None


def _exprel(node: Expr) -> Optional[Expr]:
    """expm1(u)/u → exprel(u): the quotient's value is exact with expm1, but its quotient-rule gradient
    eᵘ/u − expm1(u)/u² cancels (3.6e-8 relative at 1e-8); exprel's own gradient is a gate that does not."""
    factors = Mul.make_args(node)
    for factor in factors:
        if isinstance(factor, expm1) and Pow(factor.args[0], -1) in factors:
            u = factor.args[0]
            return node / (factor * Pow(u, -1)) * exprel(u)
    return None


def _log1p(node: Expr) -> Optional[Expr]:
    """log(1 + u) → log1p(u): 1 + 1e-20 rounds to 1."""
    constant, rest = node.args[0].as_coeff_Add()
    return log1p(rest) if constant is S.One and rest is not S.Zero else None


def _hypot(node: Expr) -> Optional[Expr]:
    """sqrt(x² + y²) → hypot(x, y), and sqrt(x² + c) → hypot(x, √c) for a number c > 0: x² overflows at 1e200."""
    base, power = node.args
    if power != S.Half or not isinstance(base, Add) or len(base.args) != 2:
        return None
    sides = []
    for term in base.args:
        if term.is_number and term.is_positive:
            sides.append(sp.sqrt(term))
        elif term.is_Pow and term.exp == 2:
            sides.append(term.base)
        else:
            return None
    return hypot(*sides)


def _root_difference(node: Expr) -> Optional[Expr]:
    """u − sqrt(u² − k), k > 0 (beside other terms, both scaled by c) → k/(|u| + sqrt(u² − k)) − 2·relu(−u):
    by the conjugate, as the sides round alike at u ≫ 1 (x − sqrt(x² − 1) at 1e8 is 5e-9, not 0); at u ≪ −1
    −2·relu(−u) = 2u carries the value. |u| ≥ √k, so the kinks of |u| and relu at 0 are outside the domain."""
    terms = Add.make_args(node)
    for root in terms:
        c, r = root.as_coeff_Mul()
        if not (c.is_negative and r.is_Pow and r.exp == S.Half and r.base.is_Add):
            continue
        k, square = r.base.as_coeff_Add()
        if k.is_negative and square.is_Pow and square.exp == 2 and -c * square.base in terms:
            u = square.base
            return node - root + c * u - c * (-k / (Abs(u) + r) - 2 * relu(-u))
    return None


# --- the rule tables -------------------------------------------------------------

_u = Wild("u")
_neg_even = Wild("n", properties=[lambda n: n.is_Integer and n < 0 and n.is_even])
_pos_even = Wild("n", properties=[lambda n: n.is_Integer and n > 0 and n.is_even])

CANONICAL: tuple[Rule, ...] = (
    Rule("sigmoid-of-exp", "1/(1 + exp(-u))**n → sigmoid(u)**n", Pow, _logistic_power),
    Rule("sigmoid-of-exp-ratio", "exp(u)·sigmoid(-u) → sigmoid(u), so exp(u)/(1 + exp(u)) → sigmoid(u)",
         Mul, _exp_times_sigmoid),
    Rule("sigmoid-complement", "sigmoid(-u) beside sigmoid(u) → 1 - sigmoid(u)", Mul, _sigmoid_complement),
    Rule("tanh-of-exp", "(exp(p) - exp(q))/(exp(p) + exp(q)) → tanh((p - q)/2)", Mul, _tanh_quotient),
    Rule("tanh-of-sigmoid", "2·sigmoid(2u) - 1 → tanh(u)", Add, _tanh_from_sigmoid),
    pattern_rule("softplus-of-exp", "log(1 + exp(u)) → softplus(u)", log(1 + exp(_u)), softplus(_u)),
    pattern_rule("relu-of-max", "Max(0, u) → relu(u)", Max(0, _u), relu(_u)),
    pattern_rule("tanh-derivative-of-cosh", "1/cosh(u)**2 → 1 - tanh(u)**2",
                 cosh(_u) ** _neg_even, (1 - tanh(_u) ** 2) ** (-_neg_even / 2)),
    pattern_rule("tanh-derivative-of-sech", "sech(u)**2 → 1 - tanh(u)**2",
                 sech(_u) ** _pos_even, (1 - tanh(_u) ** 2) ** (_pos_even / 2)),
)

#: log of a softmax as one gate: a derivation reads it so, and a kernel must, since sᵢ underflows to 0 far out
LOG_SOFTMAX = Rule("log-softmax", "log(softmax(v)[i]) → log_softmax(v)[i]", log,
                   lambda node: log_softmax(*node.args[0].args) if isinstance(node.args[0], softmax) else None)

#: The stable rules whose results are gates too: kernels apply them to each step before its graph is
#: built, since log σ(u) spans two gates and its backward pass (1/σ(u) · σ'(u)) needs the rewrite as well.
STABLE_STEPS: tuple[Rule, ...] = (
    LOG_SOFTMAX,
    pattern_rule("log-sigmoid", "log(sigmoid(u)) → -softplus(-u)", log(sigmoid(_u)), -softplus(-_u)),
    pattern_rule("log-one-minus-sigmoid", "log(1 - sigmoid(u)) → -softplus(u)",
                 log(1 - sigmoid(_u)), -softplus(_u)),
    pattern_rule("log-exp", "log(exp(u)) → u for real u", log(exp(_u)), _u,
                 when=lambda m: bool(m[_u].is_extended_real)),
    Rule("sigmoid-complement-stable", "1 - sigmoid(u) → sigmoid(-u), exact where σ(u) rounds to 1", Add,
         lambda node: _complement(node, sigmoid, 1, lambda f: sigmoid(-f.args[0]))),
    Rule("softmax-complement-stable", "1 - softmax(v)[i] → the sum of the other softmax outputs, exact where sᵢ "
         "rounds to 1", Add, lambda node: _complement(node, softmax, 1, _other_shares)),
    Rule("logsumexp", "log(exp(a) + exp(b) + …) → logaddexp(logaddexp(a, b), …), max-shifted", log, _log_sum_exp),
    Rule("softmax", "exp(a)/(exp(a) + exp(b)) → sigmoid(a - b); exp(a)/Σexp(v) → exp(a - logsumexp(v))",
         Mul, _softmax),
    Rule("expm1", "exp(u) - 1 → expm1(u), exact where exp(u) rounds to 1", Add, _expm1),
    Rule("exprel", "expm1(u)/u → exprel(u), whose gradient is computed without cancelling", Mul, _exprel),
    Rule("log1p", "log(1 + u) → log1p(u), exact where 1 + u rounds to 1", log, _log1p),
    pattern_rule("log1p-of-minus-sigmoid", "log1p(-sigmoid(u)) → -softplus(u), where log(1 + u) read first",
                 log1p(-sigmoid(_u)), -softplus(_u)),
    Rule("root-difference", "u - sqrt(u**2 - k) → k/(|u| + sqrt(u**2 - k)) - 2·relu(-u), for a number k > 0: "
         "no cancellation at large |u|", Add, _root_difference),
    Rule("one-minus-cos", "1 - cos(u) → 2·sin(u/2)**2, exact where cos(u) rounds to 1", Add,
         lambda node: _complement(node, cos, 1, lambda f: 2 * sin(f.args[0] / 2) ** 2)),
    Rule("hypot", "sqrt(x**2 + y**2) → hypot(x, y), sqrt(x**2 + c) → hypot(x, sqrt(c)); no overflow of x²",
         Pow, _hypot),
)
STABLE: tuple[Rule, ...] = STABLE_STEPS + (
    Rule("tanh-derivative-stable", "1 - tanh(u)**2 → sech(u)**2, exact where tanh(u)² rounds to 1", Add,
         lambda node: _complement(node, tanh, 2, lambda f: sech(f.args[0]) ** 2)),
)


def canonical(expr: Expr) -> Expr:
    """The textbook form: exponential forms read as tanh/sigmoid/softplus/relu, σ' as σ(1 − σ)."""
    return apply_rules(expr, CANONICAL)[0]
