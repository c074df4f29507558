"""Gradient checking: symdl's symbolic gradients against finite differences and PyTorch.

As ``torch.autograd.gradcheck`` and ``jax.test_util.check_grads`` do for their
engines, :func:`gradcheck` compares the gradients of symdl's compiled kernel, input
by input, at a given point or at seeded random points, with

* central differences: the five-point stencil at a step h = 2⁻¹⁰·max(1, |x|)
  (rounded to a power of two, so x ± h is exact), where its truncation error (∝ h⁴)
  and rounding error (∝ ε/h) balance. Its own error is estimated by repeating the
  stencil at 2h (Richardson) and allowed for in the tolerance;
* PyTorch's autograd on the same expression, when torch is importable.

Random points are drawn in a box (default [−2, 2] for every input). A candidate
point is dropped for an input when its stencil crosses a kink (the argument of |x|,
ReLU or a step changes sign, max's arguments change order, floor's passes an
integer), or when the expression is not finite there. More candidates are drawn
than needed, so every input still gets its points.

The expression is differenced term by term. ∂f/∂x is the sum of the differences of
the top-level terms that contain x, so the rounding of the other terms does not
swamp it. Inputs that share no term are perturbed together (the grouping of
Curtis, Powell and Reid), so a sum of many independent expressions costs a few
evaluations, however many inputs it has.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Callable, Optional, Sequence

import numpy as np
import sympy as sp

from symdl import display
from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Point, point_values
from symdl.differences import FAIL, KINK, PASS, STEP, UNDEFINED, Terms, product, steps, total, walk
from symdl.errors import LimitError, SymdlError
from symdl.kernels import Kernel, kernel
from symdl.limits import LIMITS, written_size
from symdl.parsing import parse_names

CANDIDATES = 4  # random candidates drawn per requested point, since kinks and undefined points are skipped


@dataclasses.dataclass(frozen=True)
class Check:
    """One input's gradient at one point: symdl's, the finite difference's, PyTorch's."""

    input: str
    point: dict[str, float]
    symbolic: float
    numeric: float
    numeric_error: float  # the difference's estimated error, part of the tolerance
    tolerance: float  # |symbolic − numeric| may be at most this: atol + rtol·|numeric| + numeric_error
    torch: Optional[float]
    status: str  # pass, fail, kink (the stencil crosses one) or undefined (not finite on the stencil)

    @property
    def error(self) -> float:
        return abs(self.symbolic - self.numeric)

    def to_dict(self) -> dict:
        fields = dataclasses.asdict(self)
        return {key: _json_number(value) for key, value in fields.items()} | {"error": _json_number(self.error)}


@dataclasses.dataclass
class GradcheckResult(display.Displayed):
    """Every check as arrays, one row per point and one column per input in ``wrt``;
    ``status`` is empty where a random candidate was not used."""

    expression: sp.Expr
    inputs: list[str]  # the columns of ``points``
    wrt: list[str]
    points: np.ndarray
    symbolic: np.ndarray
    numeric: np.ndarray
    numeric_error: np.ndarray
    tolerance: np.ndarray
    torch: Optional[np.ndarray]
    status: np.ndarray

    @property
    def ok(self) -> bool:
        """Every check passes and every input was checked at least once."""
        return not np.any(self.status == FAIL) and not self.unchecked

    @property
    def unchecked(self) -> list[str]:
        """Inputs with no check that could be made (every point at a kink or outside the domain)."""
        made = np.isin(self.status, (PASS, FAIL)).any(axis=0)
        return [name for name, done in zip(self.wrt, made) if not done]

    @property
    def checks(self) -> list[Check]:
        return [self._check(row, column) for row, column in zip(*np.nonzero(self.status != ""))]

    @property
    def failures(self) -> list[Check]:
        return [self._check(row, column) for row, column in zip(*np.nonzero(self.status == FAIL))]

    def count(self, status: str) -> int:
        return int(np.sum(self.status == status))

    @property
    def tally(self) -> dict[str, int]:
        """How many checks ended in each status: pass, fail, kink, undefined."""
        return {status: self.count(status) for status in (PASS, FAIL, KINK, UNDEFINED)}

    def _check(self, row: int, column: int) -> Check:
        torch = None if self.torch is None else float(self.torch[row, column])
        return Check(self.wrt[column], dict(zip(self.inputs, map(float, self.points[row]))),
                     float(self.symbolic[row, column]), float(self.numeric[row, column]),
                     float(self.numeric_error[row, column]), float(self.tolerance[row, column]), torch,
                     str(self.status[row, column]))

    def summary(self) -> str:
        """How many checks agree, which could not be made, whether PyTorch was compared."""
        return display.show("gradcheck summary", self)

    def table(self) -> str:
        """A plain-text table, one row per check, and the summary."""
        return display.show("text", self)

    def __repr__(self) -> str:
        return display.show("repr", self)

    def to_dict(self) -> dict:
        """The ``symdl gradcheck --json`` object."""
        return {"expression": str(self.expression), "ok": self.ok, "torch": self.torch is not None,
                "unchecked": self.unchecked, "checks": [c.to_dict() for c in self.checks]}


def _json_number(value):
    """JSON has no NaN or infinity: those become null."""
    return None if isinstance(value, float) and not np.isfinite(value) else value


def gradcheck(source: graphs.Source, at: Optional[Point] = None, wrt: Optional[Sequence[str] | str] = None, *,
              points: int = 4, seed: int = 0, eps: float = STEP, rtol: float = 1e-6, atol: float = 1e-9,
              domain: tuple[float, float] = (-2.0, 2.0), torch: Optional[bool] = None) -> GradcheckResult:
    """Check the kernel's gradient w.r.t. ``wrt`` (default: every input) at the point ``at``, or at
    ``points`` random points per input drawn with ``seed`` in ``domain``. The difference steps by
    h = eps·max(1, |x|); a gradient agrees when |symdl − difference| ≤ atol + rtol·|difference| + the
    difference's estimated error (and |symdl − PyTorch| ≤ atol + rtol·|PyTorch|). ``torch``: compare
    with PyTorch too (None: when it is installed)."""
    if points < 1:
        raise SymdlError(f"the number of points must be at least 1, not {points}")
    reference = _as_written(source)
    symbols = sorted(reference.free_symbols, key=lambda s: s.name)
    names = [s.name for s in symbols]
    wrt = _inputs_to_check(names, wrt)
    _check_work(reference, 1 if at is not None else CANDIDATES * points)
    compiled = kernel(source)
    rows = _point_row(names, at) if at is not None else _random_rows(len(names), points, seed, domain)
    columns = [names.index(name) for name in wrt]
    numeric, numeric_error, status = Terms(reference, symbols, columns).differences(rows, steps(rows, eps))
    symbolic = _kernel_gradients(compiled, names, rows, wrt)
    module = _torch_module(torch)
    torch_gradients = None if module is None else _torch_gradients(module, reference, symbols, rows, columns)
    tolerance = atol + rtol * np.abs(numeric) + numeric_error
    with np.errstate(invalid="ignore"):  # inf − inf where the function overflows: not checkable, already marked
        agrees = np.abs(symbolic - numeric) <= tolerance
        if torch_gradients is not None:
            agrees &= np.abs(symbolic - torch_gradients) <= atol + rtol * np.abs(torch_gradients)
    status = np.where(status == PASS, np.where(agrees, PASS, FAIL), status)
    if at is None:
        status = _first_usable(status, points)
    return GradcheckResult(reference, names, wrt, rows, symbolic, numeric, numeric_error, tolerance,
                           torch_gradients, status)


def _check_work(reference: sp.Expr, rows: int) -> None:
    """Refuse a check whose points × nodes would run for minutes, before any of it is done."""
    nodes = written_size(reference, {})
    if rows * nodes > LIMITS.max_gradcheck_work:
        raise LimitError(f"the work of a check at {rows} candidate points of {nodes} nodes", rows * nodes,
                         "max_gradcheck_work", LIMITS.max_gradcheck_work)


def _as_written(source: graphs.Source) -> sp.Expr:
    """The expression before symdl's canonical rewrites (the kernel compiles the rewritten form),
    so the differences also test that the rewrites are identities."""
    if isinstance(source, sp.Expr):
        return source
    return graphs.build(source, "ops").graph["expression"]


def _inputs_to_check(names: list[str], wrt: Optional[Sequence[str] | str]) -> list[str]:
    wrt = names if wrt is None else parse_names(wrt) if isinstance(wrt, str) else list(wrt)
    unknown = [w for w in wrt if w not in names]
    if unknown:
        raise SymdlError(f"cannot check the gradient with respect to {', '.join(map(str, unknown))}: "
                         f"the expression's inputs are {', '.join(names) or 'none'}")
    if not wrt:
        raise SymdlError("nothing to check: the expression has no inputs")
    return wrt


def _kernel_gradients(compiled: Kernel, names: list[str], rows: np.ndarray, wrt: list[str]) -> np.ndarray:
    """The kernel's gradient for each input of ``wrt``: zero for an input the kernel does not take,
    because symdl's rewrites showed the expression does not depend on it (min(−2, tanh u) is −2)."""
    with np.errstate(all="ignore"):  # random candidates outside the domain give NaN, and are then dropped
        _, gradients = compiled(*(rows[:, names.index(a)] for a in compiled.args))
    zero = np.zeros(len(rows))
    return np.column_stack([np.broadcast_to(gradients.get(name, zero), len(rows)) for name in wrt])


def _point_row(names: list[str], at: Point) -> np.ndarray:
    values = point_values(names, at)
    row = np.array([[float(values[name]) for name in names]])
    if not np.all(np.isfinite(row)):
        raise SymdlError("a gradient check runs in float64: every value must be below about 1.8e308 in size")
    return row


def _random_rows(count: int, points: int, seed: int, domain: tuple[float, float]) -> np.ndarray:
    if not 0 <= seed < 2**63:
        raise SymdlError(f"the seed must be a whole number from 0 to 2^63 - 1, not {seed}")
    low, high = map(float, domain)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise SymdlError(f"the sampling domain must be two finite numbers, low < high, not {domain}")
    return np.random.default_rng(seed).uniform(low, high, size=(CANDIDATES * points, count))


def _first_usable(status: np.ndarray, points: int) -> np.ndarray:
    """Of the random candidates, keep each input's first ``points`` checkable ones; drop the rest."""
    usable = (status == PASS) | (status == FAIL)
    keep = usable & (np.cumsum(usable, axis=0) <= points)
    return np.where(keep, status, "")


# --- PyTorch ----------------------------------------------------------------------------------
def _torch_module(wanted: Optional[bool]):
    """The torch module when it is wanted and installed; asking for it when it is missing is an error."""
    if wanted is False:
        return None
    if importlib.util.find_spec("torch") is None:
        if wanted:
            raise SymdlError("PyTorch is not installed: pip install torch, or leave the comparison out")
        return None
    import torch
    return torch


def _torch_functions(torch) -> dict[type, Callable]:
    """Each SymPy head symdl produces, as the PyTorch function a PyTorch user would call."""
    return {sp.Add: total, sp.Mul: product, sp.Pow: torch.pow, sp.sign: torch.sign, sp.erf: torch.special.erf,
            sp.erfc: torch.special.erfc} | {op.head: op.torch(torch) for op in ops.REGISTRY.values() if op.torch}


def _torch_gradients(torch, expression: sp.Expr, symbols: list[sp.Symbol], rows: np.ndarray,
                     columns: list[int]) -> np.ndarray:
    """PyTorch's autograd gradients at every row (the rows are independent, so one backward
    pass of the sum over rows gives them all)."""
    leaves = [torch.tensor(rows[:, i], dtype=torch.float64, requires_grad=i in columns) for i in range(len(symbols))]
    output = walk(expression, dict(zip(symbols, leaves)), _torch_functions(torch),
                  lambda number: torch.tensor(float(number), dtype=torch.float64))[expression]
    if not output.requires_grad:
        return np.zeros((len(rows), len(columns)))
    grads = torch.autograd.grad(output.sum(), [leaves[i] for i in columns], allow_unused=True)
    return np.column_stack([np.zeros(len(rows)) if g is None else g.detach().numpy() for g in grads])
