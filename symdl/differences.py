"""Finite differences of an expression, term by term, as :mod:`symdl.gradcheck` compares them.

Each node is evaluated in NumPy from its op's *definition* (SymPy's lambdify of the record,
never the kernels' NumPy table, so a fault there cannot hide in both). ∂f/∂x is the five-point
stencil of the top-level terms that contain x, estimated again at 2h for its own error; inputs
that share no term move together, and a stencil that crosses a kink is marked as such.
"""

from __future__ import annotations

import functools
import itertools
import operator
from typing import Callable

import numpy as np
import sympy as sp
from scipy import special

from symdl import ops
from symdl.errors import SymdlError

STEP = 2.0 ** -10  # relative step; the five-point stencil's truncation (h⁴) and rounding (ε/h) balance near ε^(1/5)
OFFSETS = (-4, -2, -1, 1, 2, 4)  # the stencil's points, in steps: the formula at h and again at 2h
ROUNDING = 64 * np.finfo(float).eps  # relative error allowed in a term's computed value
PASS, FAIL, KINK, UNDEFINED = "pass", "fail", "kink", "undefined"


#: Where each non-smooth function has its kinks (see ``Op.kinks``), by the SymPy head it is written
#: with; ``sign`` appears in derivatives (of |x|) without being an op of its own.
KINKS: dict[type, Callable[[list], list]] = {
    **{op.head: op.kinks for op in ops.REGISTRY.values() if op.kinks is not None}, sp.sign: ops.sign_of_argument,
}


def total(*terms):
    return functools.reduce(operator.add, terms)


def product(*factors):
    return functools.reduce(operator.mul, factors)


#: The SymPy heads that are not function ops: sums, products and powers, and the functions that
#: appear in derivatives (sign, in |x|') or in definitions (erf, erfc) without being ops of their own.
STRUCTURE: dict[type, Callable] = {sp.Add: total, sp.Mul: product, sp.Pow: np.power, sp.sign: np.sign,
                                   sp.erf: special.erf, sp.erfc: special.erfc}


def _definition(op: ops.Op) -> Callable:
    """An op's forward rule as NumPy code: SymPy's lambdify of the record's definition (its elementary
    form when symdl defines the function), never the kernels' NumPy table, so that a fault there
    cannot hide in both. An n-ary op folds its binary form; an indexed op (softmax(x₁, …, xₙ, i)) is
    lambdified for each number of arguments it is called with."""
    if op.indexed:
        return lambda *a: _lambdified(op, len(a))(*a)
    function = _lambdified(op, (op.arity or 2) + len(op.params))
    return (lambda *a: functools.reduce(function, a)) if op.arity is None else function


@functools.cache
def _lambdified(op: ops.Op, count: int) -> Callable:
    inputs = [sp.Dummy(f"x{i}") for i in range(count)]
    definition = op.elementary(*inputs) if op.elementary is not None else op.head(*inputs)
    return sp.lambdify(inputs, definition, modules=["scipy", "numpy"])


@functools.cache
def numpy_reference() -> dict[type, Callable]:
    """Each SymPy head symdl produces, as NumPy computes it from its definition, for the differences."""
    return STRUCTURE | {op.head: _definition(op) for op in ops.REGISTRY.values() if op.function and op.head}


def steps(rows: np.ndarray, eps: float) -> np.ndarray:
    """h = eps·max(1, |x|), rounded to a power of two so that x ± k·h is computed exactly."""
    return np.exp2(np.round(np.log2(eps * np.maximum(1.0, np.abs(rows)))))


class Terms:
    """The expression as a sum of top-level terms, evaluated node by node in NumPy (every term's
    value and every kink's argument), with its inputs grouped for differencing."""

    def __init__(self, expression: sp.Expr, symbols: list[sp.Symbol], columns: list[int]):
        self.expression, self.symbols = expression, symbols
        self.terms = sp.Add.make_args(expression)
        column_of = {s: i for i, s in enumerate(symbols)}
        members = [{column_of[s] for s in term.free_symbols} for term in self.terms]
        kinks = [(j, node) for j, term in enumerate(self.terms) for node in sp.preorder_traversal(term)
                 if type(node) in KINKS]
        self.kink_nodes = [node for _, node in kinks]
        self.terms_of = {c: [j for j, m in enumerate(members) if c in m] for c in columns}
        self.kinks_of = {c: [k for k, (j, _) in enumerate(kinks) if c in members[j]] for c in columns}
        self.groups = _groups(columns, self.terms_of)

    def evaluate(self, rows: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each term's value (one column per term) and, per kink node, the quantities that must hold."""
        with np.errstate(all="ignore"):
            values = walk(self.expression, dict(zip(self.symbols, rows.T)), numpy_reference(), float)
            kinks = [np.column_stack([np.broadcast_to(a, len(rows)) for a in KINKS[type(node)](
                [values[arg] for arg in node.args])]) for node in self.kink_nodes]
        terms = np.column_stack([np.broadcast_to(np.asarray(values[t], dtype=float), len(rows)) for t in self.terms])
        return terms, kinks

    def stencils(self, rows: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """The rows, then for each group and each offset k the rows with that group moved by k·h."""
        moved = [rows]
        for group in self.groups:
            for k in OFFSETS:
                shifted = rows.copy()
                shifted[:, group] += k * steps[:, group]
                moved.append(shifted)
        return np.concatenate(moved)

    def differences(self, rows: np.ndarray, steps: np.ndarray):
        """The five-point difference of every input, its error estimate, and whether it could be made.
        Every shifted point of every group is evaluated in one pass."""
        terms, kinks = self.evaluate(self.stencils(rows, steps))
        n = len(rows)
        base, base_kinks = terms[:n], [k[:n] for k in kinks]
        shape = (n, len(self.terms_of))
        numeric, error, status = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, UNDEFINED, dtype=object)
        position = {c: i for i, c in enumerate(self.terms_of)}
        for g, group in enumerate(self.groups):
            at = {k: slice(n * (1 + len(OFFSETS) * g + o), n * (2 + len(OFFSETS) * g + o))  # this group's block
                  for o, k in enumerate(OFFSETS)}
            for c in group:
                own = self.terms_of[c]
                values = {k: terms[s][:, own] for k, s in at.items()}
                numeric[:, position[c]], error[:, position[c]] = _five_point(
                    {k: v.sum(axis=1) for k, v in values.items()}, steps[:, c], np.abs(base[:, own]).sum(axis=1))
                finite = np.isfinite(base[:, own]).all(axis=1)
                smooth = np.ones(n, dtype=bool)
                for k, s in at.items():
                    finite &= np.isfinite(values[k]).all(axis=1)
                    for kink in self.kinks_of[c]:
                        smooth &= (kinks[kink][s] == base_kinks[kink]).all(axis=1)
                status[:, position[c]] = np.where(finite, np.where(smooth, PASS, KINK), UNDEFINED)
        return numeric, error, status.astype(str)


def walk(expression: sp.Expr, leaves: dict, functions: dict[type, Callable], constant: Callable) -> dict:
    """The value of every node of ``expression``, bottom-up (iteratively, so depth is no problem),
    with ``functions`` by SymPy head: NumPy arrays or PyTorch tensors alike."""
    values = dict(leaves)
    stack = [expression]
    while stack:
        node = stack[-1]
        if node in values:
            stack.pop()
            continue
        pending = [arg for arg in node.args if arg not in values]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if node.is_Atom:
            values[node] = constant(node)
        elif type(node) in functions:
            values[node] = functions[type(node)](*(values[arg] for arg in node.args))
        else:
            raise SymdlError(f"gradcheck cannot evaluate {type(node).__name__} (in {node})")
    return values


def _groups(columns: list[int], terms_of: dict[int, list[int]]) -> list[list[int]]:
    """Greedy colouring: columns that share a term never share a group."""
    group_of: dict[int, int] = {}
    in_term: dict[int, list[int]] = {}
    for c in columns:
        taken = {group_of[other] for j in terms_of[c] for other in in_term.get(j, ())}
        group_of[c] = next(g for g in itertools.count() if g not in taken)
        for j in terms_of[c]:
            in_term.setdefault(j, []).append(c)
    return [[c for c in columns if group_of[c] == g] for g in sorted(set(group_of.values()))]


def _five_point(f: dict[int, np.ndarray], h: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f'(x) ≈ [8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))]/(12h), error O(h⁴). Its error is estimated
    by the same formula at 2h (whose error is 16 times larger) plus the rounding of the values."""
    with np.errstate(all="ignore"):
        at_h = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * h)
        at_2h = (8 * (f[2] - f[-2]) - (f[4] - f[-4])) / (24 * h)
        return at_h, np.abs(at_h - at_2h) + 1.5 * ROUNDING * scale / h
