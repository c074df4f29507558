"""Why a wrong step is wrong: slips tried on the student's own numbers, as a careful TA would.

One cause for the whole claim is looked for first: a slip of the step's op (σ for σ(1 − σ), a
product left out) that gives every wrong entry, or an operand swapped for another quantity, left
out (a forgotten bias), transposed, or exchanged with the other operand, that gives the whole claim. Only when none does
are the entries explained one group at a time: the op's slips, a slip in the step before where
the student did not write that step down, the slips of any step (:mod:`symdl.worksheet.common_slips`:
a factor taken as 1, a term of a sum flipped or left out, a one-input step taken at another number),
and the arithmetic ones of
:mod:`symdl.worksheet.digits` (a flipped sign, truncation, a decimal point). A slip is named only
where it gives the number written; an entry nothing explains is said to be wrong, with what the
step gives, and no cause.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable, Iterator

import numpy as np

from symdl.printing.values import label, show_ascii
from symdl.worksheet.common_slips import another_input, flipped_terms, left_out_factors
from symdl.worksheet.digits import ARITHMETIC_SLIPS, agree, rounded, truncated, written_as
from symdl.worksheet.solution import Quantity
from symdl.worksheet.steps import Step, World, all_candidates, candidates, explained, indices, joined, position, \
    replay, where

SWAP_EVIDENCE = 2  # wrong entries a swapped operand must explain before it is named


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
    return "truncated, not rounded: " + joined([f"{n} at {position(i)}" for n, i in zip(numbers, indices(entries))])


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
    for text, entries in _entry_slips(step, world):
        entries &= remaining
        if entries.any():
            found.append(_Group(entries, text))
            remaining &= ~entries
    found += _arithmetic(step, remaining)
    if len(found) == 1 and (found[0].entries | ~own).all():
        return found[0].alone
    return "; ".join(group.listed() for group in found)


# --- one cause for the whole claim ------------------------------------------------------------------
def _one_cause(step: Step, own: np.ndarray, world: World) -> str:
    """A slip of the op that gives every wrong entry, or (where enough entries are wrong to tell) an
    operand swapped, transposed or exchanged that gives the whole claim, right entries too."""
    for text, wrong in step.q.slips:
        if (explained(step, candidates(step, wrong, world)) | ~own).all():
            return text
    if own.sum() < SWAP_EVIDENCE or step.q.recompute is None:
        return ""
    for text, wrong in itertools.chain(step.q.swaps, _rearranged(step.q, world)):
        if any(bool(np.all(agree(step.claimed, c, step.tolerance, spread=step.spread)))
               for c in candidates(step, wrong, world)):
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
        yield text, explained(step, candidates(step, wrong, world))
    for d in step.q.depends if world.named_steps else ():
        before = world.quantities[d]
        if d in world.written or before.recompute is None:
            continue
        for text, wrong in before.slips:
            carried = [step.at(replay(step.q, {**world.values, d: c}))
                       for c in all_candidates(wrong, world.values)]
            yield f"in the step before, {label(d)}, which is not written down, {text}", explained(step, carried)
    yield from left_out_factors(step, world)
    yield from flipped_terms(step, world)
    yield from another_input(step, world)


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
    gives = joined([f"{show_ascii(step.replayed[i])} at {position(i)}" for i in indices(remaining)])
    among = f"the inputs are right, but the arithmetic gives {gives}" if right else f"{opening} {gives}"
    return found + [_Group(remaining, f"{opening} {gives}", among)]
