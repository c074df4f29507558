"""The order a textbook writes a sum in, for every printer: positive terms first (z − w and 1 − tanh²,
not −w + z), the rest in the order given. One key, so text, LaTeX and MathML never disagree."""

from __future__ import annotations

from typing import Iterable

import sympy as sp


def positive_first(terms: Iterable[sp.Basic]) -> list[sp.Basic]:
    """``terms`` with those that read as positive first, each group in its given order (a stable sort); a
    sum rule's derivatives in the order of the sum they differentiate: d/dx eˣ + d/dx (−e⁻ˣ), as eˣ − e⁻ˣ."""
    terms = list(terms)
    if len(terms) > 1 and all(isinstance(term, sp.Derivative) for term in terms):
        inner = [term.expr for term in terms]
        rank = {e: i for i, e in enumerate(positive_first(sp.Add(*inner).as_ordered_terms()))}
        if len(rank) == len(terms) and all(e in rank for e in inner):
            return sorted(terms, key=lambda term: rank[term.expr])
    return sorted(terms, key=lambda term: term.could_extract_minus_sign())


def summand(term: sp.Basic) -> sp.Basic:
    """A sum's term of ones as the number 1, spread over the sum's shape as textbooks write a ⊙ (1 − a);
    a product with the ones keeps them as a matrix (𝟙ᵀ z sums z)."""
    return sp.S.One if isinstance(term, sp.OneMatrix) else term
