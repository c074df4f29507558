"""One worked example of the seed notes: the right numbers beside the ones the notes wrote.

The gallery prints each side by side with the slips and assumptions in words.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from symdl.tensor.network import Network

Array = np.ndarray


@dataclasses.dataclass(frozen=True)
class SeedExample:
    """One worked example: ``values`` are correct, ``notes`` what the notes wrote (same keys, where they wrote one)."""

    title: str
    values: dict[str, Array]
    notes: dict[str, Array]
    remarks: tuple[str, ...]
    network: Optional[Network] = None
