"""Solving a problem file: the engine's result turned into quantities a student can claim.

One solver per kind of problem: a scalar graph (:func:`symdl.backprop`, in
:mod:`~symdl.worksheet.graph_solver`), a tensor network (:class:`symdl.tensor.network.Network`,
in :mod:`~symdl.worksheet.network_solver`), a derivative (:func:`symdl.derive`, here).
Each quantity gets its ``recompute`` from the same record the engine used — the op's
SymPy gate and local derivative, the tensor op's forward pass and VJP — and its slips
from the op registry, so grading never re-implements an op.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from symdl import ops
from symdl.derive import derive
from symdl.errors import SymdlError
from symdl.parsing import parse, symbol
from symdl.rewrite import canonical
from symdl.worksheet.graph_solver import number, solve_graph
from symdl.worksheet.network_solver import solve_network
from symdl.worksheet.problem import Problem
from symdl.worksheet.solution import Quantity, Solution


def solve(problem: Problem) -> Solution:
    """Build and evaluate what the problem describes; every error names the file and key."""
    try:
        solution = _SOLVERS[problem.kind](problem)
    except SymdlError as error:
        if str(error).startswith(problem.path):
            raise
        raise problem.error(str(error), problem.kind) from None
    if not problem.gradients:
        solution.quantities = _values_only(solution.quantities)
    return solution


def _values_only(quantities: dict[str, Quantity]) -> dict[str, Quantity]:
    """The givens and values of a size or count calculation, which has no gradient a course asks for
    (∂n₃/∂n₀ = 0 says nothing); a gate's rule is its gradient's, so the values keep none."""
    return {k: q if q.kind == "given" else dataclasses.replace(q, rule="")
            for k, q in quantities.items() if q.kind in ("given", "value")}


# --- derivatives ---------------------------------------------------------------------------------
def _derivative(problem: Problem) -> Solution:
    spec = problem.spec
    expr, x = parse(spec["expression"]), symbol(spec["wrt"])
    if x not in expr.free_symbols:
        raise problem.error(f"the expression does not depend on {spec['wrt']!r}", "derivative", "wrt")
    derivation = derive(expr, x)
    recognised = canonical(expr)  # tanh written with exp is still tanh, with tanh's classic slips
    op = ops.by_head(recognised.func) if recognised.args == (x,) else None
    slips = tuple((slip.text, slip.local(recognised, (x,), None)[0]) for slip in op.slips if slip.local) if op else ()
    slips += (("the sign is flipped", -derivation.result),)
    rule = op.rule if op else "the derivation above"
    quantities = {
        f"f({x})": Quantity(f"f({x})", "derivative", expr, rule="the function itself"),
        f"d/d{x}": Quantity(f"d/d{x}", "derivative", derivation.result, rule=rule,
                            slips=tuple((text, _constant(e)) for text, e in slips)),
    }
    point = spec.get("at")
    if point:
        at = {symbol(n): sp.Float(v, 30) for n, v in point.items()}
        missing = expr.free_symbols - set(at)
        if missing:
            raise problem.error(f"no value given for {', '.join(sorted(map(str, missing)))}", "derivative", "at")
        quantities = {**{name: Quantity(name, "given", number(v), rule="input") for name, v in point.items()},
                      **quantities}  # the point first, as a graph's inputs are: f = … is then read at it
        quantities["f"] = Quantity("f", "value", number(sp.N(expr.xreplace(at), 30)), formula=str(expr), expr=expr)
        quantities[f"df/d{x}"] = Quantity(
            f"df/d{x}", "gradient", number(sp.N(derivation.result.xreplace(at), 30)), formula=str(derivation.result),
            expr=derivation.result, rule=rule,
            slips=tuple((text, _constant(number(value))) for text, value in _slips_at(slips, at)))
    return Solution(problem, quantities, derivation)


def _slips_at(slips, at):
    """Each slip's number at the point, leaving out a slip with no real finite value there (1 − 1/tanh²
    at x = 0): no student's number can come from it."""
    for text, e in slips:
        value = sp.N(e.xreplace(at), 30)
        if value.is_real and value.is_finite:
            yield text, value


def _constant(value):
    return lambda env: value


_SOLVERS = {"graph": solve_graph, "network": solve_network, "derivative": _derivative}
