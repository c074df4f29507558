r"""Naming the slip behind a wrong number, from symdl's own catalogue.

A computation is re-read as a tree (SymPy, unevaluated) and each classic mistake
is replayed on one node at a time: the op registry's forward slips (sin or cos in
degrees, a term's sign flipped, a term left out) and its local-derivative slips
where the notes wrote the derivative out (σ for σ(1 − σ), tanh for 1 − tanh²,
also with the numbers put in: ``0.622(1 - 0.622)``). Whichever reproduces the
written number, to the digits written (or cut off there), names it. The grader's
arithmetic slips on the value itself (a flipped sign, truncation instead of
rounding, a decimal point) are tried first, as the simplest explanations.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Optional

import numpy as np
import sympy as sp

from symdl.audit.sides import DIGITS, Cell, evaluate
from symdl.errors import SymdlError
from symdl.ops import REGISTRY, by_head
from symdl.parsing import parse_latex
from symdl.worksheet.digits import agree, arithmetic_slip, truncates

_MAX_NODES = 200  # a longer computation is not searched for slips (each node costs one re-evaluation)
MAX_REPLAYS = 20_000  # re-evaluations per file, about 20 s at worst
_DERIVATIVE_NODES = 16  # a derivative written out, o(1 - o), is small
_DUMMY = sp.Dummy("argument")


class SlipSearch:
    """Names slips for one file, within a budget of re-evaluations, so that no file of notes can
    make the search run long: past the budget a wrong value is still reported, its slip unnamed."""

    def __init__(self, replays: int = MAX_REPLAYS):
        self.replays = replays

    def name(self, computed: Cell, written: Cell, bindings: Mapping[sp.Symbol, sp.Expr]) -> Optional[str]:
        """The slip that turns the computation into the written number, or None."""
        claimed, decimals = float(written.value), np.array(written.decimals)
        if not (np.isfinite(claimed) and np.isfinite(float(computed.value))):
            return None  # beyond float64 every slip would compare inf with inf
        arithmetic = arithmetic_slip(np.array(claimed), np.array(float(computed.value)), decimals)
        if arithmetic or computed.kind != "computation" or self.replays <= 0:  # the simplest explanation first
            return arithmetic or None
        for text, value in _replayed(computed.where.text, bindings):
            self.replays -= 1
            if _reproduces(claimed, value, decimals, float(computed.value)):
                return text
            if self.replays <= 0:
                break
        return None


def _reproduces(claimed: float, candidate: float, decimals: np.ndarray, truth: float) -> bool:
    if not np.isfinite(candidate) or np.isclose(candidate, truth, rtol=1e-12, atol=1e-300):
        return False
    return bool(agree(claimed, candidate, decimals) or truncates(np.array(claimed), np.array(candidate), decimals))


def _replayed(text: str, bindings: Mapping[sp.Symbol, sp.Expr]) -> Iterator[tuple[str, float]]:
    """(what went wrong, the value it gives) for each slip that applies to some node of the tree."""
    try:
        with sp.evaluate(False):
            tree = parse_latex(text)
            if any(p.is_Pow and p.exp.free_symbols for p in sp.preorder_traversal(tree)):
                return  # a bound number in an exponent could be huge: SymPy would fold it exactly
            tree = tree.xreplace({s: bindings[s] for s in tree.free_symbols if s in bindings})
    except SymdlError:
        return
    nodes = list(sp.preorder_traversal(tree))
    if len(nodes) > _MAX_NODES or tree.free_symbols:
        return
    for node in nodes:
        for slip_text, wrong in _wrong_versions(node):
            value = evaluate(_rebuilt(tree.xreplace({node: wrong})), {})
            if value is not None:
                yield slip_text, float(value)


def _wrong_versions(node: sp.Expr) -> Iterator[tuple[str, sp.Expr]]:
    op = REGISTRY["add"] if node.is_Add else by_head(node.func)
    if op is not None:
        for slip in op.slips:
            if slip.forward is not None:
                candidates = slip.forward(node.args, None)
                for candidate in candidates if isinstance(candidates, list) else [candidates]:
                    yield slip.text, candidate
    if node.is_Mul or node.is_Add:
        yield from _derivative_slips(node)


def _derivative_slips(node: sp.Expr) -> Iterator[tuple[str, sp.Expr]]:
    """Where ``node`` is an activation's derivative written in terms of its output o (σ: o(1 − o),
    tanh: 1 − o²), the local slips of that op that need only o."""
    parts = list(sp.preorder_traversal(node))
    if len(parts) > _DERIVATIVE_NODES:
        return
    value = _rebuilt(node).evalf(DIGITS)
    for op in (REGISTRY["sigmoid"], REGISTRY["tanh"]):
        for out in {part for part in parts[1:] if part.is_number and not part.is_Integer}:
            local = _rebuilt(op.local(_rebuilt(out), (_DUMMY,), None)[0])
            if local.has(_DUMMY) or abs(local.evalf(DIGITS) - value) > 1e-20 * (1 + abs(value)):
                continue
            for slip in op.slips:
                if slip.local is not None:
                    candidate = slip.local(out, (_DUMMY,), None)[0]
                    if not candidate.has(_DUMMY):
                        yield slip.text, candidate


def _rebuilt(expr: sp.Expr) -> sp.Expr:
    """An unevaluated tree built again with evaluation on (SymPy's evalf is not reliable on
    unevaluated products such as Mul(-1, x))."""
    if not expr.args:
        return expr
    return expr.func(*(_rebuilt(arg) for arg in expr.args))
