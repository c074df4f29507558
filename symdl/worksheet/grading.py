"""Grading a student's claims: right or wrong, and for a wrong one, where it first went wrong.

Each claimed number is compared with the truth to the digits the student wrote
(0.66 must be within 0.005), or to the file's relative tolerance. A wrong one is
then replayed in the *student's world*: every quantity recomputed from the
student's own numbers where they wrote them. If the claim agrees with that
replay, the step was done right on wrong inputs — a carried-forward error — and
the blame goes to the earliest claim it depends on whose own step is wrong. If
it disagrees, this step is where the work departs from the truth, and
:mod:`symdl.worksheet.causes` says what was misapplied, where it can tell.

A number written with its sign flipped may be used later with the right one; the later claims are
graded both ways and the one that leaves fewer wrong steps is kept, saying so.

A number that is right but for being cut off instead of rounded (0.8337 written
0.833) is not a wrong step: it gets a precision remark of its own ("truncated",
neither right nor counted among the wrong), and so does a claim whose only
departure from the truth is a truncation carried forward into it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Optional

import numpy as np
import sympy as sp

from symdl import display
from symdl.errors import SymdlError
from symdl.kernels import LAMBDIFY_MODULES
from symdl.parsing import parse
from symdl.printing.values import label, show_ascii
from symdl.worksheet.causes import cut_from_used, slip, truncation_text, truncations
from symdl.worksheet.digits import ARITHMETIC_SLIPS, agree
from symdl.worksheet.solution import Quantity, Solution, plain
from symdl.worksheet.steps import Step, World, decimals_written, position, replay, where

_CLAIM_KEY = re.compile(r"(?P<quantity>.+?)(?:\[(?P<index>[0-9]+(?:\s*,\s*[0-9]+)*)\])?")


@dataclasses.dataclass
class Verdict:
    claim: str  # the key as written in the file
    claimed: Any
    correct: Any
    right: bool
    # "step" (this step is wrong), "carried" (wrong inputs, right step), "given" (misread data), or
    # "truncated" (right but cut off, not rounded, here or in the claims it was computed from)
    cause: str = ""
    origins: tuple[str, ...] = ()  # for a carried error (or truncation): the nearest claims it comes from
    slip: str = ""  # what was misapplied, where that can be told
    wrong_entries: tuple[str, ...] = ()  # for arrays, one-based: "entry (1, 1): 0.66 (correct 0.224664)"
    carried: str = ""  # a wrong step's entries that are right for the numbers used ("entry 2"); origins, theirs
    used: str = ""  # numbers taken as the student used them, not as written ("(h1)₁ as −0.099")
    sign_flipped: bool = dataclasses.field(default=False, repr=False)  # the claim is the truth with its sign flipped
    departing: int = dataclasses.field(default=0, repr=False)  # entries whose own step is wrong

    def line(self) -> str:
        """The verdict as the check report writes it: ✓ or ✗, the claim, the exact value, why."""
        return display.show("text", self)

    def to_dict(self) -> dict:
        return {"claim": self.claim, "claimed": plain(self.claimed), "correct": plain(self.correct),
                "right": self.right, "cause": self.cause, "origins": list(self.origins), "slip": self.slip,
                "wrong_entries": list(self.wrong_entries), "carried": self.carried, "used": self.used}


@dataclasses.dataclass
class Report(display.Displayed):
    solution: Solution
    verdicts: list[Verdict]

    @property
    def wrong(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.right and v.cause != "truncated"]

    @property
    def truncated(self) -> list[Verdict]:
        """Claims right but for their own truncation (a precision remark, not a wrong step)."""
        return [v for v in self.verdicts if v.cause == "truncated" and not v.origins]

    @property
    def carried_truncations(self) -> list[Verdict]:
        """Claims right for the truncated numbers they were computed from: no truncation of their own."""
        return [v for v in self.verdicts if v.cause == "truncated" and v.origins]

    @property
    def first_departures(self) -> list[str]:
        """The claims where the work departs from the truth (not those merely carrying an error), in
        the order the work does them."""
        return [v.claim for v in self.wrong if v.cause in ("step", "given")]

    @property
    def first_departure(self) -> str:
        """The claim where the work first goes wrong: the earliest step of the work (the first claimed,
        among claims of one quantity) whose own step departs; "" if none does."""
        order = list(self.solution.quantities)
        first = min(enumerate(self.first_departures), default=None,
                    key=lambda item: (order.index(_claimed_quantity(item[1])), item[0]))
        return first[1] if first else ""

    @property
    def carried_from_first(self) -> list[str]:
        """The later claims wrong only by carrying the first departure's error forward."""
        return [v.claim for v in self.wrong if v.cause == "carried" and self.first_departure in v.origins]

    def lines(self) -> list[str]:
        """The check report, a line per claim (a wrong array's entries beneath it), then the tally."""
        return str(self).split("\n")

    def __str__(self) -> str:
        return display.show("text", self)

    def __repr__(self) -> str:
        return display.show("repr", self)

    def to_dict(self) -> dict:
        return {"file": self.solution.problem.path, "title": self.solution.problem.title,
                "claims": len(self.verdicts), "wrong": len(self.wrong), "truncated": len(self.truncated),
                "carried_truncations": len(self.carried_truncations),
                "first_departures": self.first_departures, "first_departure": self.first_departure,
                "carried_from_first": self.carried_from_first,
                "verdicts": [v.to_dict() for v in self.verdicts]}


def check(solution: Solution) -> Report:
    """Grade every claim of the solution's problem."""
    problem = solution.problem
    claims = [(key, _parse_key(solution, key), value) for key, value in problem.claims.items()]
    student = _student_world(solution, claims)
    verdicts: dict[str, Verdict] = {}
    for key, (quantity, index), claimed in claims:
        q = solution.quantities[quantity]
        if isinstance(claimed, str):
            verdicts[key] = _formula_verdict(solution, key, q, claimed)
        else:
            verdicts[key] = _numeric_verdict(solution, key, q, index, claimed, student)
    restored = _used_with_its_sign(solution, claims, verdicts)
    by_quantity: dict[str, list[Verdict]] = {}
    for key, (quantity, _), _ in claims:
        by_quantity.setdefault(quantity, []).append(verdicts[key])
    for key, (quantity, _), _ in claims:
        verdict = verdicts[key]
        if verdict.cause == "step" and verdict.carried:
            departures, cut = _origins(solution, quantity, by_quantity, restored)
            verdict.origins = departures or cut
            verdict.carried = verdict.carried if verdict.origins else ""
        if verdict.cause == "carried":
            departures, cut = _origins(solution, quantity, by_quantity, restored)
            if departures:
                verdict.origins = departures
            elif cut:  # only a truncation was carried: a precision remark, as the truncation itself is
                verdict.cause, verdict.origins, verdict.slip = "truncated", cut, ""
            else:  # only the student's (right) rounding was carried: the work is right
                verdict.right, verdict.cause, verdict.wrong_entries = True, "", ()
                verdict.slip = "right for the rounded numbers it was computed from"
    return Report(solution, list(verdicts.values()))


def _used_with_its_sign(solution: Solution, claims, verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """A number written with its sign flipped is often used later with the right one (tanh(−0.1)
    written 0.099, then −0.099 in W_yh h₁). The later claims are graded again with it so; where that
    leaves fewer entries whose own step is wrong, that is what the student used, and the verdict says so.
    Returns, for each number so used, the verdict of it as used (right, or only truncated: −0.099 for
    −0.0997), which is what the later claims carry from it, not the flipped sign."""
    flipped = {key: -np.asarray(claimed, dtype=float) for key, _, claimed in claims if verdicts[key].sign_flipped}
    if not flipped:
        return {}
    other = _student_world(solution, [(key, parsed, flipped.get(key, claimed)) for key, parsed, claimed in claims])
    used = ", ".join(f"{label(key)} as {show_ascii(value)}" for key, value in flipped.items())
    adopted = False
    for key, (quantity, index), claimed in claims:
        if key in flipped or isinstance(claimed, str) or verdicts[key].right:
            continue
        again = _numeric_verdict(solution, key, solution.quantities[quantity], index, claimed, other)
        if again.departing < verdicts[key].departing:
            verdicts[key], again.used, adopted = again, used, True
    for key in flipped if adopted else ():
        verdicts[key].slip += f"; it is used afterwards as {show_ascii(flipped[key])}"
    parsed = {key: quantity_index for key, quantity_index, _ in claims}
    return {key: _numeric_verdict(solution, key, solution.quantities[parsed[key][0]], parsed[key][1], value, other)
            for key, value in flipped.items()} if adopted else {}


# --- the student's world ---------------------------------------------------------------------------
_SIGNS = np.random.default_rng(0)  # sign patterns for probing the rounding; fixed, so grading is deterministic


def _student_world(solution: Solution, claims) -> World:
    """Every quantity recomputed from the student's claims, in dependency order. Where the replay
    passes through numbers the student did not write down, they may have rounded those too: the
    spread is how far that rounding (half a unit of the claims' last digit, carried on) can move it."""
    numeric = {}
    for key, (quantity, index), value in claims:
        if not isinstance(value, str):
            numeric.setdefault(quantity, []).append((key, index, value))
    world = World({}, {}, {}, {quantity for _, (quantity, _), _ in claims}, solution.quantities,
                  named_steps=solution.problem.kind == "network")
    rounding: dict[str, np.ndarray] = {}  # per quantity, the uncertainty of the student's value
    for key, q in solution.quantities.items():
        if isinstance(q.value, sp.Basic):
            world.values[key] = world.replayed[key] = q.value
            continue
        replayed, spread = np.asarray(q.value, dtype=float), np.zeros(np.shape(q.value))
        if q.recompute is not None and q.kind != "given":
            replayed = replay(q, world.values)
            spread = _spread(q, world.values, rounding, replayed)
        world.replayed[key], world.spread[key] = replayed, spread
        value, uncertain = np.array(replayed, dtype=float), np.array(spread, dtype=float)
        for _, index, claimed in numeric.get(key, []):  # a written number is known exactly
            if index is None:
                value, uncertain = np.array(claimed, dtype=float), np.zeros(np.shape(claimed))
            else:
                value[index], uncertain[index] = claimed, 0.0
        world.values[key], rounding[key] = value, uncertain
    return world


def _spread(q: Quantity, values: dict, rounding: dict, replayed: np.ndarray) -> np.ndarray:
    """How far the step moves when each uncertain dependency moves within its rounding: the
    largest change over a few sign patterns, summed over dependencies."""
    total = np.zeros(np.shape(replayed))
    for dependency in q.depends:
        half = rounding.get(dependency)
        if half is None or not np.any(half):
            continue
        largest = np.zeros(np.shape(replayed))
        for pattern in [np.ones(np.shape(half))] + [_SIGNS.choice((-1.0, 1.0), np.shape(half)) for _ in range(3)]:
            moved = dict(values)
            moved[dependency] = values[dependency] + pattern * half
            with np.errstate(invalid="ignore"):
                largest = np.fmax(largest, np.abs(replay(q, moved) - replayed))
        total = total + largest
    return total


def _parse_key(solution: Solution, key: str) -> tuple[str, Optional[tuple[int, ...]]]:
    match = _CLAIM_KEY.fullmatch(key.strip())
    quantity = match.group("quantity").strip() if match else key
    q = solution.get(quantity)
    if match is None or match.group("index") is None:
        return quantity, None
    index = tuple(int(i) for i in match.group("index").split(","))
    shape = np.shape(q.value)
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise solution.problem.error(f"index {list(index)} is outside {quantity}'s shape {shape}", "claims", key)
    return quantity, index


# --- verdicts ---------------------------------------------------------------------------------------
def _numeric_verdict(solution: Solution, key: str, q: Quantity, index, claimed, world: World) -> Verdict:
    if isinstance(q.value, sp.Basic):
        raise solution.problem.error(f"{q.label} is a formula; claim it as a string", "claims", key)
    truth = np.asarray(q.value, dtype=float)[index] if index else np.asarray(q.value, dtype=float)
    claimed = np.asarray(claimed, dtype=float)
    if claimed.shape != truth.shape:
        raise solution.problem.error(f"{label(key)} has shape {truth.shape}; the claim has shape {claimed.shape}",
                                     "claims", key)
    tolerance = solution.problem.tolerance
    written = (solution.problem.decimals or {}).get(key)
    if written is not None and np.shape(written) == claimed.shape and tolerance is None:
        tolerance = written  # decimals as written in the file, trailing zeros included
    right = agree(claimed, truth, tolerance)
    verdict = Verdict(key, claimed, truth, bool(right.all()))
    if verdict.right:
        return verdict
    wrong = ~right
    verdict.wrong_entries = tuple(f"{position(i)}: {show_ascii(claimed[i])} (correct {show_ascii(truth[i])})"
                                  for i in zip(*np.nonzero(wrong))) if claimed.ndim else ()
    if q.kind == "given":
        verdict.cause = "given"
        return verdict
    step = Step(q, index, claimed, np.asarray(world.replayed[q.key], dtype=float), truth,
                np.asarray(world.spread[q.key], dtype=float), decimals_written(claimed, tolerance), tolerance)
    step.replayed, step.spread = step.at(step.replayed), step.at(step.spread)
    with np.errstate(invalid="ignore"):
        inputs_moved = ~np.isclose(step.replayed, truth, rtol=1e-12, atol=0)  # the student's earlier numbers differ
    own = wrong & ~(inputs_moved & agree(claimed, step.replayed, tolerance, spread=step.spread))
    cut = own & truncations(step)
    cut_carried = own & ~cut & cut_from_used(step)  # wrong inputs, and the digits cut off too
    verdict.departing = int((own & ~cut & ~cut_carried).sum())
    verdict.sign_flipped = bool(np.all(claimed != 0)) and any(
        k.fits(claimed, truth, step.decimals) for k in ARITHMETIC_SLIPS if k.name.startswith("sign"))
    if (own & ~cut & ~cut_carried).any():
        verdict.cause, verdict.slip = "step", slip(step, own, world)
        verdict.carried = where(wrong & ~own) if (wrong & ~own).any() else ""
    elif (wrong & ~own).any() or cut_carried.any():  # the rest is carried forward; this step only cut digits off
        cut |= cut_carried
        verdict.cause, verdict.slip = "carried", truncation_text(step, cut) if cut.any() else ""
    else:
        verdict.cause, verdict.slip = "truncated", truncation_text(step, cut)
    return verdict


def _formula_verdict(solution: Solution, key: str, q: Quantity, claimed: str) -> Verdict:
    if not isinstance(q.value, sp.Basic):
        raise solution.problem.error(f"{label(key)} is a number; claim it as a number", "claims", key)
    try:
        claim = parse(claimed)
    except SymdlError as error:
        raise solution.problem.error(f"the claimed formula cannot be read: {error}", "claims", key) from None
    verdict = Verdict(key, claimed, q.value, _equivalent(claim, q.value))
    if not verdict.right:
        verdict.cause = "step"
        verdict.slip = next((text for text, wrong in q.slips if _equivalent(claim, wrong({}))), "")
        if not verdict.slip:
            verdict.slip = _constant_factor(claim, q.value) or _simpler(claim)
    return verdict


def _simpler(claim: sp.Expr) -> str:
    """"it simplifies to x" when multiplying out shows the claim is a shorter formula than it looks
    (((1 + α)x + (1 − α)x)/2 is x: a term that should differ, |x| say, was written the same)."""
    expanded = sp.expand(claim)
    return f"it simplifies to {display.show('text', expanded)}" if sp.count_ops(expanded) < sp.count_ops(claim) else ""


def _constant_factor(claim: sp.Expr, truth: sp.Expr) -> str:
    """"off by a factor of 2" when the claim is a constant multiple of the truth."""
    for factor in (2, sp.Rational(1, 2), -1, 4, sp.Rational(1, 4), 10, sp.Rational(1, 10)):
        if _equivalent(claim, factor * truth):
            return "the sign is flipped" if factor == -1 else f"off by a constant factor of {factor}"
    return ""


def _equivalent(a: sp.Expr, b: sp.Expr, samples: int = 7) -> bool:
    """Equal as functions: at seeded sample points (where both are finite) within 1e-9 relative."""
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    anonymous = {name: sp.Dummy(real=True) for name in names}  # a claim's names may be `sign`, `maximum`, …,
    a, b, names = a.xreplace(anonymous), b.xreplace(anonymous), list(anonymous.values())  # which lambdify calls
    f = sp.lambdify(names, a - b, modules=LAMBDIFY_MODULES)
    scale = sp.lambdify(names, b, modules=LAMBDIFY_MODULES)
    rng = np.random.default_rng(0)
    checked = 0
    with np.errstate(all="ignore"):
        for _ in range(samples * 3):
            point = rng.uniform(-2.5, 2.5, len(names))
            difference, size = complex(f(*point)), complex(scale(*point))
            if not (np.isfinite(difference) and np.isfinite(size)):
                continue
            if abs(difference) > 1e-9 * max(1.0, abs(size)):
                return False
            checked += 1
            if checked == samples:
                break
    return checked > 0


def _origins(solution: Solution, quantity: str, by_quantity: dict[str, list[Verdict]],
             restored: dict[str, Verdict]) -> tuple[tuple, tuple]:
    """Where a carried error comes from: walking back through the dependencies, the nearest claims
    whose own step departs from the truth, and those that only truncated. The walk goes on through
    unclaimed quantities and carried claims, and stops at claims judged right (their rounding is
    the student's due). A number written with a flipped sign but used with the right one counts as
    it was used (``restored``): what follows carries its truncation at most, never the sign."""
    departed, cut, seen, stack = [], [], set(), [quantity]
    while stack:
        for dependency in solution.quantities[stack.pop()].depends:
            if dependency in seen:
                continue
            seen.add(dependency)
            claimed = [restored.get(v.claim, v) for v in by_quantity.get(dependency, [])]
            departures = [v.claim for v in claimed if v.cause in ("step", "given")]
            departed += departures
            cut += [v.claim for v in claimed if v.cause == "truncated" and not v.origins]
            if not claimed or any(v.cause == "carried" for v in claimed) or \
                    (not departures and any(v.origins for v in claimed)):  # an entry carried on: walk past it
                stack.append(dependency)
    order = {key: position for position, key in enumerate(solution.quantities)}
    return tuple(tuple(sorted(found, key=lambda claim: order[_claimed_quantity(claim)])) for found in (departed, cut))


def _claimed_quantity(claim: str) -> str:
    """The quantity a claim's key names (``h1`` of ``h1[0]``)."""
    return _CLAIM_KEY.fullmatch(claim).group("quantity").strip()
