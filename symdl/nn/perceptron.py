"""The perceptron and the logic gates: AND and OR by one unit, XOR only by two layers.

A perceptron fires, y = step(w·x + b), with the notes' step g(z) = 1 if z > 0 else 0
(SymPy's Heaviside with H(0) = 0). Its weights cannot be learned by gradient descent —
the step's derivative is 0 wherever it exists — so here they are given, or found by
exhaustive search over a small grid.

XOR is the classic impossibility. The search over the grid finds no weights, but that
proves nothing about the reals; :func:`xor_is_not_linearly_separable` adds the exact
argument as a certificate anyone can check with integer arithmetic (see
:class:`SeparabilityProof`).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Mapping, Optional, Sequence

import numpy as np
import sympy as sp

from symdl import numeric
from symdl.functions import step

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)  # rows (x1, x2), the truth tables' order
TRUTH_TABLES = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0)}
HALF_GRID = tuple(float(v) for v in np.arange(-2.0, 2.01, 0.5))  # w1, w2, b ∈ {−2, −1.5, …, 2}: 9³ = 729 candidates


@dataclasses.dataclass(frozen=True)
class Perceptron:
    """y = step(w·x + b), step(z) = 1 for z > 0 and 0 for z ≤ 0."""

    weight: tuple[float, ...]
    bias: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return numeric.heaviside(np.asarray(x, dtype=float) @ np.asarray(self.weight, dtype=float) + self.bias, 0.0)

    def truth_table(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self(INPUTS))

    def preactivation(self, *inputs: sp.Symbol) -> sp.Expr:
        """z = w·x + b as a SymPy expression, e.g. x1 + x2 − 3/2; its zero set is the unit's line."""
        inputs = inputs or sp.symbols(f"x1:{len(self.weight) + 1}", real=True)
        return sum(sp.nsimplify(w) * x for w, x in zip(self.weight, inputs)) + sp.nsimplify(self.bias)

    def expression(self, *inputs: sp.Symbol) -> sp.Expr:
        """The unit as a SymPy expression, e.g. Heaviside(x1 + x2 − 3/2, 0)."""
        return step(self.preactivation(*inputs))

    @property
    def boundaries(self) -> tuple[Perceptron, ...]:
        """The units whose lines w·x + b = 0 a plot draws."""
        return (self,)


@dataclasses.dataclass(frozen=True)
class TwoLayerPerceptron:
    """Hidden step units feeding one output step unit."""

    hidden: tuple[Perceptron, ...]
    output: Perceptron

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.output(np.stack([unit(x) for unit in self.hidden], axis=-1))

    def truth_table(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self(INPUTS))

    @property
    def boundaries(self) -> tuple[Perceptron, ...]:
        return self.hidden


def _margin(unit: Perceptron, targets: Sequence[int]) -> float:
    """The smallest signed distance of an input from the unit's line, positive on the right side."""
    z = INPUTS @ np.asarray(unit.weight) + unit.bias
    norm = float(np.hypot(*unit.weight)) or 1.0
    return float(np.min(np.where(np.asarray(targets) == 1, z, -z))) / norm


def search(targets: Sequence[int], grid: Sequence[float] = HALF_GRID) -> list[Perceptron]:
    """Every (w1, w2, b) on ``grid`` whose perceptron has the truth table ``targets``, the widest
    margin first (ties: smallest |w1| + |w2| + |b|), so the first is the line a person would draw."""
    targets = tuple(targets)
    candidates = (Perceptron((w1, w2), b) for w1, w2, b in itertools.product(grid, repeat=3))
    found = [unit for unit in candidates if unit.truth_table() == targets]
    return sorted(found, key=lambda p: (-_margin(p, targets), abs(p.weight[0]) + abs(p.weight[1]) + abs(p.bias)))


# Given weights: the textbook's, half a unit of margin either side of each line.
AND = Perceptron((1.0, 1.0), -1.5)
OR = Perceptron((1.0, 1.0), -0.5)
# XOR = (x1 AND NOT x2) OR (x2 AND NOT x1).
XOR_NETWORK = TwoLayerPerceptron((Perceptron((1.0, -1.0), -0.5), Perceptron((-1.0, 1.0), -0.5)),
                                 Perceptron((1.0, 1.0), -0.5))


def from_parameters(parameters: Mapping[str, np.ndarray]) -> Perceptron | TwoLayerPerceptron:
    """A problem file's perceptron, by the bundled files' names: one unit (``w``, ``b``), or two layers
    (``W1``, whose column j is hidden unit j's weights, as z = X W1 + b1 computes; ``b1``; ``w2``, ``b2``)."""
    if "W1" in parameters:
        hidden = tuple(Perceptron(tuple(float(v) for v in column), float(bias))
                       for column, bias in zip(np.asarray(parameters["W1"]).T, np.asarray(parameters["b1"])))
        return TwoLayerPerceptron(hidden, from_parameters({"w": parameters["w2"], "b": parameters["b2"]}))
    return Perceptron(tuple(float(v) for v in np.asarray(parameters["w"])), float(parameters["b"]))


@dataclasses.dataclass(frozen=True)
class SeparabilityProof:
    """Why no (w1, w2, b) realises a truth table, in two forms.

    ``rows[k]`` is input k's requirement on θ = (w1, w2, b), c_k·θ > 0 or ≥ 0 (``strict[k]``):
    c_k = (x1, x2, 1), strict, where the target is 1; c_k = −(x1, x2, 1) where it is 0 (the step
    gives 0 at z = 0). If multipliers λ ≥ 0 make
    Σ λ_k c_k = 0 with λ_k > 0 on some strict row, adding λ_k times each requirement gives
    0 > 0: no real weights satisfy them all (Motzkin's transposition theorem, the easy half).
    """

    grid_tried: int
    grid_found: int
    rows: tuple[tuple[int, ...], ...]
    strict: tuple[bool, ...]
    multipliers: tuple[int, ...]

    def check(self) -> bool:
        """The certificate, checked in exact integer arithmetic."""
        nonnegative = all(m >= 0 for m in self.multipliers)
        cancels = all(sum(m * row[i] for m, row in zip(self.multipliers, self.rows)) == 0 for i in range(3))
        strict = any(m > 0 and s for m, s in zip(self.multipliers, self.strict))
        return nonnegative and cancels and strict

    def explain(self) -> str:
        """The certificate as the sum a person would write down."""
        theta = sp.symbols("w1 w2 b", real=True)
        lines = [f"{m} × ({sp.sstr(sp.Matrix(row).dot(theta))} {'>' if s else '≥'} 0)"
                 for m, row, s in zip(self.multipliers, self.rows, self.strict) if m]
        return ("Adding " + "; ".join(lines) + ": the left sides cancel to 0, so 0 > 0, a contradiction. "
                f"(The grid search tried {self.grid_tried} weight triples and found {self.grid_found}.)")


def _requirements(targets: Sequence[int]) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    rows = tuple(tuple(int(v) * (1 if t else -1) for v in (*x, 1)) for x, t in zip(INPUTS.astype(int), targets))
    return rows, tuple(bool(t) for t in targets)


def certificate(targets: Sequence[int]) -> Optional[tuple[int, ...]]:
    """Integer multipliers proving ``targets`` not linearly separable, or None if none is found.

    The four requirements live in 3 unknowns, so Σ λ_k c_k = 0 has a line of solutions
    (SymPy's exact null space); it certifies impossibility if it can be scaled non-negative.
    """
    rows, strict = _requirements(targets)
    for basis in sp.Matrix(rows).T.nullspace():
        scaled = basis * sp.ilcm(*[sp.fraction(v)[1] for v in basis])
        for candidate in (scaled, -scaled):
            lam = tuple(int(v) for v in candidate)
            if all(v >= 0 for v in lam) and any(v > 0 and s for v, s in zip(lam, strict)):
                return lam
    return None


def xor_is_not_linearly_separable(grid: Sequence[float] = HALF_GRID) -> SeparabilityProof:
    """No single perceptron computes XOR: none on ``grid`` (search), none at all (certificate).

    The certificate is the four-inequality argument: XOR needs b ≤ 0, w2 + b > 0, w1 + b > 0
    and w1 + w2 + b ≤ 0; the middle two add to w1 + w2 + 2b > 0, the outer two to
    w1 + w2 + 2b ≤ 0.
    """
    targets = TRUTH_TABLES["XOR"]
    rows, strict = _requirements(targets)
    return SeparabilityProof(len(grid) ** 3, len(search(targets, grid)), rows, strict, certificate(targets))
