"""The slips any step can have, whatever its op: a number it multiplies by taken as 1, a term of a
sum with its sign flipped or left out, a one-input step taken at another number; in the step itself
or, where the student did not write it down, in the step before.

Each is a generator of (slip, the entries it gives), tried by :func:`symdl.worksheet.causes.slip`
after the op's own slips; a slip is kept only where :func:`~symdl.worksheet.steps.explained` finds
the number written.
"""

from __future__ import annotations

from typing import Iterator, Optional

import numpy as np

from symdl.printing.values import label, show_ascii
from symdl.worksheet.digits import decimals_of
from symdl.worksheet.solution import Quantity
from symdl.worksheet.steps import UNDEFINED, Step, World, explained, replay


def left_out_factors(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
    """(slip, the entries it gives): a number the step multiplies by (its value scales the result)
    taken as 1, in this step or, for a chain-rule product, in the step before not written down
    (∂f9/∂f3 = 124, the 124 of ∂f9/∂f5 without the × 5 of ∂f5/∂f4)."""
    q, values = step.q, world.values
    before = [d for d in q.depends if d not in world.written and world.quantities[d].recompute is not None
              and (world.named_steps or world.quantities[d].kind in ("local", "gradient"))]
    for d in q.depends:
        for text, _ in _factors(q, d, values):
            yield f"the factor {text} was left out", explained(step, [step.at(replay(q, {**values, d: 1.0}))])
    for d in before:
        for e_text, e in _factors(world.quantities[d], None, values):
            without = replay(world.quantities[d], {**values, e: 1.0})
            yield (f"in the step before, {label(d)}, which is not written down, the factor {e_text} was left out",
                   explained(step, [step.at(replay(q, {**values, d: without}))]))


ANOTHER_INPUT_UNITS = 20  # how many units of its last digit another input may be from the right one
MAX_INPUT_DECIMALS = 3  # an input written with more digits is not one a student reads off wrong


def another_input(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
    """(slip, the entries it gives): a step of one number whose written value is the step's at
    another number with as many digits (tanh 1.9 written 0.716, which is tanh 0.9), where exactly one
    such number within a few units of the right one gives it."""
    inputs = [d for d in step.q.depends if np.ndim(world.values[d]) == 0] if step.q.recompute else \
        [s.name for s in getattr(step.q.expr, "free_symbols", ()) if s.name in world.values]
    if step.claimed.ndim or len(inputs) != 1 or len(step.q.depends) > 1:
        return
    name, x = inputs[0], float(world.values[inputs[0]])
    seen = name in world.written or world.quantities[name].kind == "given"  # a number the student has before them
    if not seen or not np.isfinite(x) or decimals_of(x) > MAX_INPUT_DECIMALS:
        return
    unit = 10.0 ** -decimals_of(x)
    grid = x + unit * np.arange(-ANOTHER_INPUT_UNITS, ANOTHER_INPUT_UNITS + 1)
    at = [_at(step.q, world, name, other) for other in grid]
    if np.allclose(np.diff(at, 2), 0, rtol=0, atol=1e-9 * max(1.0, float(np.max(np.abs(at))))):
        return  # an affine step gives every number at some input: that names nothing
    odd = _odd(step.q, world, name, x)
    found = [other for other, value in zip(grid, at) if not np.isclose(other, x) and step.gives(np.asarray(value))
             and not (odd and np.isclose(other, -x))]
    if len(found) == 1:
        other = show_ascii(np.round(found[0], decimals_of(x)))
        yield (f"{show_ascii(step.claimed)} is its value at {label(name)} = {other}, not at {label(name)} = "
               f"{show_ascii(x)}"), np.ones((), dtype=bool)


def _odd(q: Quantity, world: World, name: str, x: float) -> bool:
    """Whether the step at −x is minus the step at x (tanh): its value there is a flipped sign, named as such."""
    try:
        return bool(np.isclose(_at(q, world, name, -x), -_at(q, world, name, x)))
    except UNDEFINED:
        return False


def _at(q: Quantity, world: World, name: str, x: float) -> float:
    """The step with its one input ``name`` at ``x``."""
    if q.recompute is not None:
        return float(replay(q, {**world.values, name: np.asarray(x)}))
    return float(q.expr.subs({s: x for s in q.expr.free_symbols if s.name == name}).evalf())


MAX_TERMS = 64  # the inputs' numbers whose terms of a sum are tried one by one


def flipped_terms(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
    """(slip, the entries it gives): where the step (or the step before, not written down) is a sum
    of terms, one per number of an input (a dot product's or a convolution's products, an add's
    operands), one term with its sign flipped or left out (6 − 9 + 0 − 8 totalled as 5: −8 added as +8)."""
    q, values = step.q, world.values
    steps = [("", q)] + [(f"in the step before, {label(d)}, which is not written down, ", world.quantities[d])
                         for d in (q.depends if world.named_steps else ())
                         if d not in world.written and world.quantities[d].recompute is not None]
    for prefix, at in steps:
        scalars = [d for d in at.depends if np.ndim(values[d]) == 0]
        groups = [[(d, i) for i in np.ndindex(np.shape(values[d]))] for d in at.depends if np.ndim(values[d])]
        terms = [t for t in (_terms(at, values, g) for g in groups + ([[(d, ()) for d in scalars]] if scalars else []))
                 if t is not None]
        for text, sign in (("one term's sign is flipped", 2.0), ("one term is left out", 1.0)):
            for whole, parts in terms:
                changed = [whole - sign * part for part in parts if np.any(part)]
                if at is not q:
                    changed = [replay(q, {**values, at.key: c}) for c in changed]
                yield prefix + text, explained(step, [step.at(c) for c in changed])


def _terms(q: Quantity, values: dict, group: list) -> Optional[tuple[np.ndarray, list[np.ndarray]]]:
    """The step and its terms, one per number in ``group`` (that number alone kept, the group's
    others 0), when the step is linear in them (doubling them all doubles it) and the terms add up
    to it; None otherwise, or when there are too many."""
    if len(group) > MAX_TERMS:
        return None
    names = {d for d, _ in group}
    zeros = {d: np.zeros(np.shape(values[d])) for d in names}
    whole = replay(q, values)
    doubled = replay(q, {**values, **{d: 2 * np.asarray(values[d], dtype=float) for d in names}})
    if not np.all(np.isfinite(whole)) or not np.allclose(doubled, 2 * whole, rtol=1e-9, atol=1e-12):
        return None
    parts = []
    for d, i in group:
        one = zeros[d].copy()
        one[i] = np.asarray(values[d], dtype=float)[i]
        parts.append(replay(q, {**values, **zeros, d: one}))
    return (whole, parts) if np.allclose(sum(parts), whole, rtol=1e-9, atol=1e-12) else None


def _factors(q: Quantity, only: Optional[str], values: dict) -> Iterator[tuple[str, str]]:
    """(``∂f5/∂f4 = 5``, key) for each number of the step's inputs (``only``, if given) that the step
    scales with: doubling it doubles the result, and it is not already 1."""
    for d in q.depends if only is None else (only,):
        v = np.asarray(values[d], dtype=float)
        if v.ndim or not np.isfinite(v) or np.isclose(v, 1.0) or v == 0:
            continue
        result, doubled = replay(q, values), replay(q, {**values, d: 2 * v})
        if np.all(np.isfinite(result)) and np.any(result) and np.allclose(doubled, 2 * result, rtol=1e-9, atol=0):
            yield f"{label(d)} = {show_ascii(v)}", d
