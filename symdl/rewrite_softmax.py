"""The softmax family as a course writes it, recognised in expressions: the ``TEXTBOOK`` rules.

A derivation reads e^{xᵢ}/Σₖ e^{xₖ} as softmax(x₁, …, xₙ)ᵢ, log Σₖ e^{xₖ} as logsumexp,
log sᵢ as log_softmax and −log sᵢ as the cross-entropy of class i, where it starts (the
"recognise" step) and where it ends (the result's tidy form), so that ∂s₁/∂x₁ comes back as
s₁(1 − s₁). ``TEXTBOOK`` is :data:`symdl.rewrite.CANONICAL` plus these rules, run by the same
matcher. Kernels use ``CANONICAL`` alone: the written-out forms go through the stable rewrites
there, and a softmax the user writes is one gate whose NumPy form shifts by the largest logit.
"""

from __future__ import annotations

from typing import Optional

import sympy as sp
from sympy import Add, Mul, S, exp, log

from symdl.functions import cross_entropy, log_softmax, logsumexp, softmax
from symdl.rewrite import CANONICAL, LOG_SOFTMAX, factor_pairs, product_of
from symdl.rewriting import Rule, apply_rules

Expr = sp.Expr


def _plain_exponents(node: Expr) -> Optional[list[Expr]]:
    """[v₁, …, vₙ] (n ≥ 2, each once) when node is exactly Σ exp(vᵢ): the logits of a softmax as written."""
    if not isinstance(node, Add) or not all(isinstance(t, exp) for t in node.args):
        return None
    exponents = [t.exp for t in node.args]
    return exponents if len(set(exponents)) == len(exponents) else None


def _softmax_of_exp(node: Expr) -> Optional[Expr]:
    """exp(vᵢ)/Σₖ exp(vₖ) → softmax(v₁, …, vₙ)ᵢ, the other factors kept."""
    pairs = factor_pairs(node)
    for i, (den, power) in enumerate(pairs):
        exponents = _plain_exponents(den) if power is S.NegativeOne else None
        for j, (num, num_power) in enumerate(pairs if exponents else ()):
            if isinstance(num, exp) and num_power is S.One and num.exp in exponents:
                share = softmax(*exponents, exponents.index(num.exp) + 1)
                return product_of(f for k, f in enumerate(pairs) if k not in (i, j)) * share
    return None


def _logsumexp_of_exp(node: Expr) -> Optional[Expr]:
    """log Σₖ exp(vₖ) → logsumexp(v₁, …, vₙ)."""
    exponents = _plain_exponents(node.args[0])
    return logsumexp(*exponents) if exponents else None


def _cross_entropy_of_log_softmax(node: Expr) -> Optional[Expr]:
    """−c·log softmax(v)ᵢ → c·cross_entropy(v)ᵢ: minus a log-likelihood is the cross-entropy."""
    factors = Mul.make_args(node)
    for i, factor in enumerate(factors):
        rest = Mul(*(f for k, f in enumerate(factors) if k != i))
        if isinstance(factor, log_softmax) and rest.could_extract_minus_sign():
            return -rest * cross_entropy(*factor.args)
    return None


def _logsumexp_minus_logit(node: Expr) -> Optional[Expr]:
    """vᵢ − logsumexp(v) → log_softmax(v)ᵢ and logsumexp(v) − vᵢ → cross_entropy(v)ᵢ, beside other terms."""
    terms = Add.make_args(node)
    for term in terms:
        coeff, total = term.as_coeff_Mul()
        if not (isinstance(total, logsumexp) and coeff in (S.One, S.NegativeOne)):
            continue
        for logit_position, logit in enumerate(total.args, 1):
            if -coeff * logit in terms:
                pair = cross_entropy if coeff is S.One else log_softmax
                return node - term + coeff * logit + pair(*total.args, logit_position)
    return None


#: CANONICAL and the softmax family, for derivations (not kernels: see the module docstring).
TEXTBOOK: tuple[Rule, ...] = CANONICAL + (
    Rule("softmax-of-exp", "exp(v_i)/(exp(v_1) + … + exp(v_n)) → softmax(v_1, …, v_n)[i]", Mul, _softmax_of_exp),
    Rule("logsumexp-of-exp", "log(exp(v_1) + … + exp(v_n)) → logsumexp(v_1, …, v_n)", log, _logsumexp_of_exp),
    LOG_SOFTMAX,
    Rule("cross-entropy-of-softmax", "-log_softmax(v)[i] → cross_entropy(v)[i]", Mul, _cross_entropy_of_log_softmax),
    Rule("log-softmax-of-logsumexp", "v_i - logsumexp(v) → log_softmax(v)[i]; logsumexp(v) - v_i → cross_entropy(v)[i]",
         Add, _logsumexp_minus_logit),
)


def textbook(expr: Expr) -> Expr:
    """The canonical form with the softmax family recognised: e^{x₁}/Σₖ e^{xₖ} reads softmax(x…)₁."""
    return apply_rules(expr, TEXTBOOK)[0]
