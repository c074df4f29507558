"""Exercise variants: the same problem with fresh numbers, each with its answer key.

Numbers are drawn from a seeded generator (``numpy.random.default_rng``), so a
seed always gives the same sheet. A draw that lands where the problem is
undefined (a division by zero, log of a negative) or on a kink (a ReLU or max
exactly at its corner, where the gradient is a convention) is drawn again.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterable

import numpy as np

from symdl import ops
from symdl.errors import SymdlError
from symdl.limits import LIMITS, Budget
from symdl.worksheet.problem import Problem
from symdl.worksheet.solution import Solution, plain
from symdl.worksheet.solvers import solve

MAX_COUNT = 100
MAX_ATTEMPTS = 50  # draws per variant before giving up


@dataclasses.dataclass
class Variant:
    number: int
    problem: Problem
    solution: Solution
    given: dict[str, Any]  # the drawn numbers, by leaf name

    def answers(self) -> dict[str, Any]:
        """The answer key: each reported quantity's value (or formula)."""
        return {q.key: plain(q.value) for q in self.solution.reported()}

    def to_dict(self) -> dict:
        return {"number": self.number, "title": self.problem.title,
                "given": {k: plain(v) for k, v in self.given.items()}, "answers": self.answers()}


def variants(problem: Problem, seed: int, count: int = 1,
             progress: Callable[[Iterable[int]], Iterable[int]] = iter) -> list[Variant]:
    """``count`` variants of ``problem`` drawn with ``seed``; the report asks for what the claims named.
    ``progress`` wraps the variant numbers as they are drawn (the command line's progress bar)."""
    if not 1 <= count <= MAX_COUNT:
        raise problem.error(f"--count must be from 1 to {MAX_COUNT}, not {count}")
    if not 0 <= seed < 2**63:
        raise problem.error(f"--seed must be a non-negative integer, not {seed}")
    _check_range(problem)
    leaves = _leaves(problem)
    rng = np.random.default_rng(seed)
    report = problem.report or (tuple(dict.fromkeys(_quantity(k) for k in problem.claims)) or None)
    # every draw, a failed one too, works out as many quantities as the file's own numbers give: the sheet's
    # first draws are priced before any is made, the draws again after a failed one as they are made
    price = len(solve(problem).quantities)
    fit = LIMITS.max_exercise_work // price
    Budget(f"{count} variants of {price} quantities each (only {fit} fit)",
           "max_exercise_work").charge(count * price)  # refused before the first draw
    redrawn = Budget("the quantities worked out again for draws thrown away (undefined, on a kink or saturated)",
                     "max_exercise_work")
    return [_draw(problem, leaves, rng, number, report, lambda: redrawn.charge(price))
            for number in progress(range(1, count + 1))]


def _quantity(claim_key: str) -> str:
    return claim_key.split("[", 1)[0].strip()


def _leaves(problem: Problem) -> dict[str, np.ndarray]:
    """The numbers a variant may change, with their current values (for shapes)."""
    spec = problem.spec
    if problem.kind == "network":
        found = {**spec.get("inputs", {}), **spec.get("parameters", {})}
    else:
        found = {name: np.asarray(float(v)) for name, v in spec.get("at", {}).items()}
    chosen = problem.variants.vary or tuple(found)
    unknown = [name for name in chosen if name not in found]
    if unknown:
        raise problem.error(f"cannot vary {', '.join(unknown)}: not an input of this problem", "variants", "vary")
    if not chosen:
        raise problem.error("this problem has no numbers to vary (give [graph] or [derivative] an 'at')")
    return {name: np.asarray(found[name], dtype=float) for name in chosen}


def _draw(problem: Problem, leaves: dict, rng: np.random.Generator, number: int, report,
          charge_again: Callable[[], None]) -> Variant:
    settings = problem.variants
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            charge_again()
        given = {name: _numbers(rng, value.shape, settings) for name, value in leaves.items()}
        candidate = dataclasses.replace(problem, title=f"{problem.title} (variant {number})", claims={},
                                        spec=_with(problem, given), report=report)
        try:
            solution = solve(candidate)
        except SymdlError:
            continue  # undefined at these numbers: draw again
        if not _on_a_kink(solution) and not _saturated(solution, settings.preactivation):
            return Variant(number, candidate, solution, given)
    raise problem.error(f"no valid numbers found in {MAX_ATTEMPTS} draws; widen [variants] low/high "
                        "(or raise 'preactivation')")


def _numbers(rng: np.random.Generator, shape: tuple, settings) -> np.ndarray:
    """Uniform over the numbers with ``decimals`` places in [low, high], each equally likely."""
    scale = 10 ** settings.decimals
    low, high = math.ceil(settings.low * scale), math.floor(settings.high * scale)
    return rng.integers(low, high, size=shape, endpoint=True) / scale


def _check_range(problem: Problem) -> None:
    """The draws are whole numbers of 10^-decimals in an int64, so low·10^decimals and
    high·10^decimals must fit one (|n| < 2^63 ≈ 9.2e18)."""
    settings = problem.variants
    for key in ("low", "high"):
        if not abs(getattr(settings, key) * 10 ** settings.decimals) < 2**63:
            raise problem.error(f"{key} × 10^decimals must be below 9.2e18 in size, not "
                                f"{getattr(settings, key):g} × 10^{settings.decimals}", "variants", key)


def _with(problem: Problem, given: dict) -> dict:
    spec = dict(problem.spec)
    if problem.kind == "network":
        for group in ("inputs", "parameters"):
            spec[group] = {name: given.get(name, value) for name, value in spec.get(group, {}).items()}
    else:
        spec["at"] = {name: float(given[name]) if name in given else value for name, value in spec["at"].items()}
    return spec


def _function_gates(solution: Solution):
    """(op record, operand values) of every scalar op node of the solved graph or network."""
    graph = getattr(solution.work, "graph", None)
    for _, data in ([] if graph is None else graph.nodes(data=True)):
        op = ops.REGISTRY.get(data.get("op")) if not data.get("tensor") else None
        if op is not None:
            yield op, [np.asarray(graph.nodes[i]["value"], dtype=float) for i in data["inputs"]]


def _saturated(solution: Solution, bound) -> bool:
    """True where a one-argument function gate (σ, tanh, exp …) gets an argument beyond ``bound``."""
    if bound is None:
        return False
    return any(op.function and op.arity == 1 and np.any(np.abs(operands[0]) > bound)
               for op, operands in _function_gates(solution))


def _on_a_kink(solution: Solution) -> bool:
    """True where a non-smooth op sits exactly on a kink (ReLU at 0, a tie in max), which its kink
    quantities (``Op.kinks``) show as a 0. Not an op whose gradient is 0 on both sides (floor, whose
    sizes are whole numbers by design, or a step): there the kink changes no gradient."""
    for op, operands in _function_gates(solution):
        if op.kinks is not None and not op.flat and any(np.any(q == 0) for q in op.kinks(operands)):
            return True
    return False
