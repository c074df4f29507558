"""The matcher that runs the rewrite rules of :mod:`symdl.rewrite`: a rule is data (a name, the
SymPy class it fires on, a function that rewrites one node or declines), and one bottom-up pass
applies a table of them. Kept apart from the tables so a rule set reads as a list of identities.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import sympy as sp

Expr = sp.Expr
_MAX_REWRITES_PER_NODE = 32  # every rule shrinks or settles its node; this only guards a bad new rule


@dataclasses.dataclass(frozen=True)
class Rule:
    """One named identity; ``rewrite(node)`` returns the replacement or None if it does not apply."""

    name: str
    description: str
    head: type  # the SymPy class of the nodes this rule can fire on
    rewrite: Callable[[Expr], Optional[Expr]]


def pattern_rule(name: str, description: str, lhs: Expr, rhs: Expr,
                 when: Callable[[dict], bool] = lambda m: True) -> Rule:
    """A rule written as a ``Wild`` pattern and the replacement its bindings fill in."""

    def rewrite(node: Expr) -> Optional[Expr]:
        bindings = node.match(lhs)
        if bindings is None or not when(bindings):
            return None
        return rhs.xreplace(bindings)

    return Rule(name, description, type(lhs), rewrite)


# --- the matcher -----------------------------------------------------------------

def apply_rules(expr: Expr, rules: Sequence[Rule]) -> tuple[Expr, list[str]]:
    """Rewrite ``expr`` bottom-up with ``rules``; return the result and the names of the rules that fired."""
    index: dict[type, list[Rule]] = {}
    for rule in rules:
        index.setdefault(rule.head, []).append(rule)
    fired: list[str] = []
    memo: dict[Expr, Expr] = {}

    def visit(node: Expr) -> Expr:
        if node not in memo:
            settled = _settle(node, index, fired)
            children = tuple(visit(arg) for arg in settled.args)
            if children != settled.args:
                settled = _settle(settled.func(*children), index, fired)
            memo[node] = settled
        return memo[node]

    return visit(expr), fired


def _settle(node: Expr, index: dict[type, list[Rule]], fired: list[str]) -> Expr:
    """Fire rules on one node until none applies (a replacement is re-checked, not its subtree)."""
    for _ in range(_MAX_REWRITES_PER_NODE):
        for rule in index.get(type(node), ()):
            replacement = rule.rewrite(node)
            if replacement is not None and replacement != node:
                fired.append(rule.name)
                node = replacement
                break
        else:
            return node
    return node
