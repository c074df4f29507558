"""A wrong claim as the slips are tried on it: the student's world, the claim's step, and the
one-based positions a verdict names.

:class:`World` holds every quantity as the student would have it; :class:`Step` one wrong claim,
with what the student's own numbers give for it. :func:`explained` is the test every slip passes
before it is named: the number it gives is the one written. The slips themselves are in
:mod:`symdl.worksheet.causes` (the op's, and one cause for the whole claim) and
:mod:`symdl.worksheet.common_slips` (those of any step).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import numpy as np

from symdl.errors import SymdlError
from symdl.worksheet.digits import agree, decimals_of, truncates
from symdl.worksheet.solution import Quantity

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


def explained(step: Step, candidates: list[np.ndarray]) -> np.ndarray:
    """Entries of the claim that one of the slip's numbers gives (where it changes the right value)."""
    explained = np.zeros(step.claimed.shape, dtype=bool)
    for candidate in candidates:
        if candidate.shape == step.claimed.shape:
            explained |= _changes(step, candidate) & np.isfinite(candidate) & step.gives(candidate)
    return explained


def _changes(step: Step, candidate: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ~np.isclose(candidate, step.replayed, rtol=1e-9, atol=0)


def candidates(step: Step, wrong, world: World) -> list[np.ndarray]:
    """What a slip gives on the student's numbers (at the claimed entry); none where it is undefined."""
    return [c for c in (step.at(c) for c in all_candidates(wrong, world.values)) if c.shape == step.claimed.shape]


def all_candidates(wrong, values: dict) -> list[np.ndarray]:
    try:
        with np.errstate(all="ignore"):
            candidates = wrong(values)
        return [np.asarray(c, dtype=float) for c in (candidates if isinstance(candidates, list) else [candidates])]
    except (UNDEFINED + (IndexError,)):
        return []


# --- positions, one-based as a person counts --------------------------------------------------------
def position(index) -> str:
    """``entry 3`` in a vector, ``entry (1, 3)`` in a matrix: one-based, as prose counts."""
    index = [int(i) + 1 for i in index]
    return f"entry {index[0]}" if len(index) == 1 else f"entry ({', '.join(map(str, index))})"


def where(mask: np.ndarray) -> str:
    """``entries (1, 3) and (2, 3)``: the entries of ``mask``, one-based."""
    places = [position(i).removeprefix("entry ") for i in indices(mask)]
    return f"entry {places[0]}" if len(places) == 1 else f"entries {joined(places)}"


def indices(mask: np.ndarray) -> list[tuple[int, ...]]:
    """The index of each true entry of ``mask`` (the one index () of a 0-d array)."""
    return [tuple(int(j) for j in i) for i in np.argwhere(mask)]


def joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def decimals_written(claimed: np.ndarray, tolerance) -> np.ndarray:
    """The digits written of each entry: the file's, else read off the numbers."""
    if isinstance(tolerance, np.ndarray):
        return tolerance
    return np.vectorize(decimals_of, otypes=[int])(claimed) if claimed.ndim else np.asarray(decimals_of(claimed))
