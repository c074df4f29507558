"""Why a wrong step is wrong: slips tried on the student's own numbers, as a careful TA would.

One cause for the whole claim is looked for first: a slip of the step's op (σ for σ(1 − σ), a
product left out) that gives every wrong entry, or an operand swapped for another quantity, left
out (a forgotten bias), transposed, or exchanged with the other operand, that gives the whole claim. Only when none does
are the entries explained one group at a time: the op's slips, a slip in the step before where
the student did not write that step down, the slips of any step (a factor taken as 1, a term of a
sum flipped or left out, a one-input step taken at another number), and the arithmetic ones of
:mod:`symdl.worksheet.digits` (a flipped sign, truncation, a decimal point). A slip is named only
where it gives the number written; an entry nothing explains is said to be wrong, with what the
step gives, and no cause.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable, Iterator, Optional

import numpy as np

from symdl.errors import SymdlError
from symdl.printing.values import label, show_ascii
from symdl.worksheet.digits import ARITHMETIC_SLIPS, agree, decimals_of, rounded, truncated, truncates, written_as
from symdl.worksheet.solution import Quantity

SWAP_EVIDENCE = 2  # wrong entries a swapped operand must explain before it is named
UNDEFINED = (SymdlError, ValueError, TypeError, ZeroDivisionError, ArithmeticError)


@dataclasses.dataclass
class World:
    """Every quantity as the student would have it, and where it came from."""
    values: dict[str, Any]  # every quantity as the student would have it
    replayed: dict[str, Any]  # each quantity recomputed from the student's values of its dependencies
    spread: dict[str, Any]  # how far the replay may move within the rounding of the student's numbers
    written: set[str]  # the quantities the student wrote down (some entry of which is claimed)
    quantities: dict[str, Quantity]
    # every step is one the file names (a network's ops), so one not written down is still the student's
    # step; a graph's unnamed intermediates are pieces of one written formula instead
    named_steps: bool = False


@dataclasses.dataclass
class Step:
    """One wrong claim of a step, as the slips are tried on it."""
    q: Quantity
    index: Optional[tuple[int, ...]]  # the claimed entry, or None for the whole quantity
    claimed: np.ndarray
    replayed: np.ndarray
    truth: np.ndarray
    spread: np.ndarray
    decimals: np.ndarray  # the digits written, entry by entry
    tolerance: Any  # what :func:`agree` takes: None, a relative float, or the decimals written

    def at(self, value) -> np.ndarray:
        array = np.asarray(value, dtype=float)
        return np.asarray(array[self.index] if self.index else array, dtype=float)

    def gives(self, candidate: np.ndarray) -> np.ndarray:
        """Entries where ``candidate`` is the number written (to its digits, or cut off after them)."""
        return agree(self.claimed, candidate, self.tolerance, spread=self.spread) | \
            truncates(self.claimed, candidate, self.decimals)


def replay(q: Quantity, values: dict) -> np.ndarray:
    """The step recomputed from ``values``; NaN where they make it undefined."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(q.recompute(values), dtype=float)
    except UNDEFINED:
        return np.full(np.shape(q.value), np.nan)


def truncations(step: Step) -> np.ndarray:
    """Entries that are right but for truncation: the number the step gives (from the student's
    numbers, or the exact one) cut off after the digits written, where rounding it gives the truth."""
    found = np.zeros(step.claimed.shape, dtype=bool)
    for i in np.ndindex(step.claimed.shape):
        decimals = np.asarray(step.decimals[i])
        tolerance = step.tolerance if isinstance(step.tolerance, float) else decimals
        for value, spread in ((step.replayed[i], np.asarray(step.spread)[i]), (step.truth[i], 0.0)):
            found[i] |= truncated(step.claimed[i], value, decimals) and bool(
                agree(rounded(value, decimals), step.truth[i], tolerance, spread=spread))
    return found


def cut_from_used(step: Step) -> np.ndarray:
    """Entries that are the number the student's own (wrong) inputs give, cut off instead of rounded:
    a carried error and a truncation at once (0.148 for the 0.1488 a truncated weight gives)."""
    found = np.zeros(step.claimed.shape, dtype=bool)
    for i in np.ndindex(step.claimed.shape):
        found[i] = truncated(step.claimed[i], step.replayed[i], np.asarray(step.decimals[i])) and \
            not np.isclose(step.replayed[i], step.truth[i], rtol=1e-12, atol=0)
    return found


def truncation_text(step: Step, entries: np.ndarray) -> str:
    """"truncated, not rounded: 0.834" (with the entries, in an array), each number rounded as written."""
    numbers = _rounded_numbers(step, entries)
    if step.claimed.ndim == 0:
        return f"truncated, not rounded: {numbers[0]}"
    return "truncated, not rounded: " + _and([f"{n} at {position(i)}" for n, i in zip(numbers, indices(entries))])


def _rounded_numbers(step: Step, entries: np.ndarray) -> list[str]:
    """Each entry's number (the exact one, or the step's from the student's numbers, whichever the
    claim cuts off) rounded to the digits written."""
    return [written_as(step.truth[i] if truncated(step.claimed[i], step.truth[i], step.decimals[i])
                       else step.replayed[i], step.decimals[i]) for i in indices(entries)]


@dataclasses.dataclass
class _Group:
    """Entries of a claim with one explanation: its text when it is the only one, and as one of
    several (where the text names no positions, the group's entries go before it)."""
    entries: np.ndarray
    alone: str
    among: str = ""

    def listed(self) -> str:
        return self.among or f"at {where(self.entries)}, {self.alone}"


def slip(step: Step, own: np.ndarray, world: World) -> str:
    """What went wrong in the entries ``own`` of the step: one cause for all if there is one, else
    each group of entries with its own."""
    whole = _one_cause(step, own, world)
    if whole:
        return whole
    remaining, found = own.copy(), []
    for text, explained in _entry_slips(step, world):
        explained &= remaining
        if explained.any():
            found.append(_Group(explained, text))
            remaining &= ~explained
    found += _arithmetic(step, remaining)
    if len(found) == 1 and (found[0].entries | ~own).all():
        return found[0].alone
    return "; ".join(group.listed() for group in found)


# --- one cause for the whole claim ------------------------------------------------------------------
def _one_cause(step: Step, own: np.ndarray, world: World) -> str:
    """A slip of the op that gives every wrong entry, or (where enough entries are wrong to tell) an
    operand swapped, transposed or exchanged that gives the whole claim, right entries too."""
    for text, wrong in step.q.slips:
        if (_explained(step, _candidates(step, wrong, world)) | ~own).all():
            return text
    if own.sum() < SWAP_EVIDENCE or step.q.recompute is None:
        return ""
    for text, wrong in itertools.chain(step.q.swaps, _rearranged(step.q, world)):
        if any(bool(np.all(agree(step.claimed, c, step.tolerance, spread=step.spread)))
               for c in _candidates(step, wrong, world)):
            return text
    return ""


def _rearranged(q: Quantity, world: World) -> Iterator[tuple[str, Callable]]:
    """The step with an operand left out (z = W x without its bias), a matrix operand transposed, or
    two operands exchanged (B A for A B)."""
    for d in q.depends:
        yield (f"{label(d)} was left out of this step",
               lambda env, d=d: _nonzero(q.recompute({**env, d: np.zeros(np.shape(env[d]))})))
    matrices = [d for d in q.depends if np.ndim(world.values[d]) == 2]
    for d in matrices:
        yield (f"{label(d)} was used transposed ({label(d)}ᵀ where {label(d)} belongs)",
               lambda env, d=d: q.recompute({**env, d: np.asarray(env[d]).T}))
    for a, b in itertools.combinations(q.depends, 2):
        yield (f"{label(a)} and {label(b)} were exchanged (the operands taken in the other order)",
               lambda env, a=a, b=b: q.recompute({**env, a: env[b], b: env[a]}))


def _nonzero(value):
    """A left-out factor of a product gives all zeros, which says nothing of what was left out."""
    if not np.any(value):
        raise ValueError("a left-out factor")
    return value


# --- entry by entry ---------------------------------------------------------------------------------
def _entry_slips(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
    """(slip, the entries it gives): the op's own slips, then those of each step before that the
    student did not write down, carried through this one."""
    for text, wrong in step.q.slips:
        yield text, _explained(step, _candidates(step, wrong, world))
    for d in step.q.depends if world.named_steps else ():
        before = world.quantities[d]
        if d in world.written or before.recompute is None:
            continue
        for text, wrong in before.slips:
            carried = [step.at(replay(step.q, {**world.values, d: c}))
                       for c in _all_candidates(wrong, world.values)]
            yield f"in the step before, {label(d)}, which is not written down, {text}", _explained(step, carried)
    yield from _left_out_factors(step, world)
    yield from _flipped_terms(step, world)
    yield from _another_input(step, world)


def _left_out_factors(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
    """(slip, the entries it gives): a number the step multiplies by (its value scales the result)
    taken as 1, in this step or, for a chain-rule product, in the step before not written down
    (∂f9/∂f3 = 124, the 124 of ∂f9/∂f5 without the × 5 of ∂f5/∂f4)."""
    q, values = step.q, world.values
    before = [d for d in q.depends if d not in world.written and world.quantities[d].recompute is not None
              and (world.named_steps or world.quantities[d].kind in ("local", "gradient"))]
    for d in q.depends:
        for text, _ in _factors(q, d, values):
            yield f"the factor {text} was left out", _explained(step, [step.at(replay(q, {**values, d: 1.0}))])
    for d in before:
        for e_text, e in _factors(world.quantities[d], None, values):
            without = replay(world.quantities[d], {**values, e: 1.0})
            yield (f"in the step before, {label(d)}, which is not written down, the factor {e_text} was left out",
                   _explained(step, [step.at(replay(q, {**values, d: without}))]))


ANOTHER_INPUT_UNITS = 20  # how many units of its last digit another input may be from the right one
MAX_INPUT_DECIMALS = 3  # an input written with more digits is not one a student reads off wrong


def _another_input(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
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
    found = [other for other, value in zip(grid, at) if not np.isclose(other, x) and step.gives(np.asarray(value))]
    if len(found) == 1:
        other = show_ascii(np.round(found[0], decimals_of(x)))
        yield (f"{show_ascii(step.claimed)} is its value at {label(name)} = {other}, not at {label(name)} = "
               f"{show_ascii(x)}"), np.ones((), dtype=bool)


def _at(q: Quantity, world: World, name: str, x: float) -> float:
    """The step with its one input ``name`` at ``x``."""
    if q.recompute is not None:
        return float(replay(q, {**world.values, name: np.asarray(x)}))
    return float(q.expr.subs({s: x for s in q.expr.free_symbols if s.name == name}).evalf())


MAX_TERMS = 64  # the inputs' numbers whose terms of a sum are tried one by one


def _flipped_terms(step: Step, world: World) -> Iterator[tuple[str, np.ndarray]]:
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
                yield prefix + text, _explained(step, [step.at(c) for c in changed])


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


def _explained(step: Step, candidates: list[np.ndarray]) -> np.ndarray:
    """Entries of the claim that one of the slip's numbers gives (where it changes the right value)."""
    explained = np.zeros(step.claimed.shape, dtype=bool)
    for candidate in candidates:
        if candidate.shape == step.claimed.shape:
            explained |= _changes(step, candidate) & np.isfinite(candidate) & step.gives(candidate)
    return explained


def _changes(step: Step, candidate: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ~np.isclose(candidate, step.replayed, rtol=1e-9, atol=0)


def _candidates(step: Step, wrong, world: World) -> list[np.ndarray]:
    """What a slip gives on the student's numbers (at the claimed entry); none where it is undefined."""
    return [c for c in (step.at(c) for c in _all_candidates(wrong, world.values)) if c.shape == step.claimed.shape]


def _all_candidates(wrong, values: dict) -> list[np.ndarray]:
    try:
        with np.errstate(all="ignore"):
            candidates = wrong(values)
        return [np.asarray(c, dtype=float) for c in (candidates if isinstance(candidates, list) else [candidates])]
    except (UNDEFINED + (IndexError,)):
        return []


def _arithmetic(step: Step, remaining: np.ndarray) -> list[_Group]:
    """The entries left: those only truncated; then one arithmetic slip for all the rest (a sign or
    a decimal point that fits a few entries of many is chance), else what the step gives from the
    numbers used (nothing to add where the inputs are right: that is the correct value)."""
    if not remaining.any() or not np.all(np.isfinite(step.replayed[remaining])):
        return []
    found, remaining = [], remaining.copy()
    cut = remaining & (truncations(step) | cut_from_used(step))
    if cut.any() and step.claimed.ndim:
        verb = "are" if cut.sum() > 1 else "is"
        found.append(_Group(cut, truncation_text(step, cut),
                            f"{where(cut)} {verb} truncated, not rounded ({', '.join(_rounded_numbers(step, cut))})"))
        remaining &= ~cut
    if not remaining.any():
        return found
    c, r, d = step.claimed[remaining], step.replayed[remaining], step.decimals[remaining]
    kind = next((k for k in ARITHMETIC_SLIPS if k.fits(c, r, d)), None)
    if kind is not None:
        return found + [_Group(remaining, kind.text(r, d))]
    right = np.allclose(r, step.truth[remaining])
    opening = "its inputs are right, but the arithmetic gives" if right else "from the numbers used, this step gives"
    if step.claimed.ndim == 0:
        return found + [_Group(remaining, f"{opening} {show_ascii(step.replayed)}")]
    gives = _and([f"{show_ascii(step.replayed[i])} at {position(i)}" for i in indices(remaining)])
    among = f"the inputs are right, but the arithmetic gives {gives}" if right else f"{opening} {gives}"
    return found + [_Group(remaining, f"{opening} {gives}", among)]


# --- positions, one-based as a person counts --------------------------------------------------------
def position(index) -> str:
    """``entry 3`` in a vector, ``entry (1, 3)`` in a matrix: one-based, as prose counts."""
    index = [int(i) + 1 for i in index]
    return f"entry {index[0]}" if len(index) == 1 else f"entry ({', '.join(map(str, index))})"


def where(mask: np.ndarray) -> str:
    """``entries (1, 3) and (2, 3)``: the entries of ``mask``, one-based."""
    places = [position(i).removeprefix("entry ") for i in indices(mask)]
    return f"entry {places[0]}" if len(places) == 1 else f"entries {_and(places)}"


def indices(mask: np.ndarray) -> list[tuple[int, ...]]:
    """The index of each true entry of ``mask`` (the one index () of a 0-d array)."""
    return [tuple(int(j) for j in i) for i in np.argwhere(mask)]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def decimals_written(claimed: np.ndarray, tolerance) -> np.ndarray:
    """The digits written of each entry: the file's, else read off the numbers."""
    if isinstance(tolerance, np.ndarray):
        return tolerance
    return np.vectorize(decimals_of, otypes=[int])(claimed) if claimed.ndim else np.asarray(decimals_of(claimed))
