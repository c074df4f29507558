"""How a layer names its nodes: an id, joined by dots (``fc1.weight``, which
:mod:`symdl.printing.layers` groups into blocks), and the name a person reads (W₁, z_hi, c₁), in
symdl's name grammar (:mod:`symdl.printing.names`), as the worksheets write them. The network's
symbol for the node carries the second into every printer (:meth:`Network.shown`)."""

from __future__ import annotations

import re


def join_name(prefix: str, name: str) -> str:
    """``prefix.name``, or just ``name``: prefixes keep two layers' nodes apart in one network."""
    return f"{prefix}.{name}" if prefix else name


def layer_index(name: str) -> str:
    """The number a layer's name ends in (``fc2``: 2), the index its nodes are read by (W₂); '' for none."""
    tail = re.search(r"\d+$", name)
    return tail.group() if tail else ""


def indexed(letter: str, index: str = "") -> str:
    """``letter`` with ``index`` as a subscript in the name grammar: W_1 (read W₁), z_hi; no index, the letter."""
    return f"{letter}_{index}" if index else letter


def transposed(shown: str) -> str:
    """The name of a transpose node, read as its operand's name raised to ᵀ (W_1__T is W₁ᵀ)."""
    return f"{shown}__T"
