"""Every circuit the gallery draws, by name: the seed's scalar circuits, its networks, and each bundled
problem file's solved graph; shared by the SVG-bounds and circuit-notation tests."""

from __future__ import annotations

import functools

from symdl import examples as bundled
from symdl import gallery
from symdl.backprop import Backprop, backprop
from symdl.tensor.network import Network
from symdl.worksheet import load, solve


@functools.lru_cache(maxsize=None)
def circuits() -> tuple[tuple[str, object], ...]:
    """(name, a Backprop or a Network after its backward pass), solved once per test session."""
    found = [(c.slug, backprop(c.source, c.at)) for c in gallery.SEED_CIRCUITS]
    found += [(slug, build().network) for slug, build in gallery.NETWORKS]
    for path in bundled.problem_files():
        work = solve(load(path)).work
        if isinstance(work, (Backprop, Network)):
            found.append((f"worksheets/{path.stem}", work))
    return tuple(found)
