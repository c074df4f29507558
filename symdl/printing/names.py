"""How a name is written for a person: alpha as α, a number's x_1 as x₁ where Unicode can lower the
index, sigma__2 as σ² (SymPy's mark for a superscript), zhat as ẑ (SymPy's accent suffix); a gradient's
symbol ∂L/∂W split into its parts. A leaf module, so the text printer, the LaTeX
and MathML printers and a worksheet's labels read names alike."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from symdl.letters import GREEK_LETTER as GREEK, LOWERED, RAISED

SUBSCRIPT = str.maketrans(LOWERED)
SUPERSCRIPT = str.maketrans({**{d: RAISED[d] for d in "0123456789"}, "T": "ᵀ"})  # ᵀ: Unicode's raised capital T
HAT = "\u0302"  # COMBINING CIRCUMFLEX ACCENT: z + HAT is ẑ


def lowerable(index: str) -> bool:
    """Whether every character of ``index`` has a Unicode subscript."""
    return all(c in LOWERED for c in index)


def written(name: str, lower: bool = True) -> str:
    """``name`` with its superscript after ``__`` raised (sigma__2 as σ², K1__T as K1ᵀ), the rest as
    :func:`_subscripted` writes it; a gradient's symbol ∂L/∂alpha by its parts (∂L/∂α)."""
    parts = gradient_parts(name)
    if parts is not None:
        return "∂" + "/∂".join(written(part, lower) for part in parts)
    name, _, power = name.partition("__")
    return _subscripted(name, lower) + power.translate(SUPERSCRIPT)


def accented(base: str) -> tuple[str, bool]:
    """(z, True) for zhat or (mu, True) for muhat, a letter with SymPy's hat suffix; (base, False) otherwise."""
    letter = base[:-3]
    hatted = base.endswith("hat") and (len(letter) == 1 or letter in GREEK)
    return (letter, True) if hatted else (base, False)


def _subscripted(name: str, lower: bool) -> str:
    """``name`` as a textbook sets it: a Greek letter's name as the letter and, with ``lower``, an index
    after an underscore lowered (s_i as sᵢ, x_1 as x₁, PE_1_0 as PE₁,₀). A name whose index Unicode cannot lower (W_Q)
    stays as it is. A matrix's or a quantity's name keeps a letter index as written (``lower`` False): Unicode
    lowers h and i but not f or g, and W_hi beside W_hf would read as two conventions; a number index
    is lowered always (W_1 as W₁, c_0 as c₀), as every digit can be."""
    base, _, index = name.partition("_")
    base, accent = accented(base)
    base = unicodedata.normalize("NFC", GREEK.get(base, base) + (HAT if accent else ""))  # ẑ as one character
    if not index:
        return base
    indices = index.split("_")  # PE_1_0: two indices, PE₁,₀ as a textbook writes PE_{1,0}, in labels too
    numbered = all(i.isdigit() for i in indices)
    if (lower or numbered) and all(map(lowerable, indices)):
        return base + ",".join(i.translate(SUBSCRIPT) for i in indices)
    return f"{base}_{index}"


_GRADIENT = re.compile(r"∂([^∂/]+)/∂([^∂/]+)")


def gradient_parts(name: str) -> Optional[tuple[str, str]]:
    """(L, W) for a gradient's symbol named ``∂L/∂W`` (a network's upstream gradient), else None: the
    LaTeX and MathML printers set it as a fraction, so ∂L/∂Y Wᵀ cannot read as ∂L/∂(Y Wᵀ)."""
    match = _GRADIENT.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None


def node_symbol(node: str, *graphs) -> object:
    """The symbol every printer writes a graph node by, the one function they fetch a node's name with:
    a network's carries the name its layer gave the node (c_1 for ``c1``, z_hi for ``i1.hh``), never a
    dotted id. Found in the first of ``graphs`` that holds ``node``, or in the graph a layer block was
    drawn from (a node inside a block)."""
    for graph in graphs:
        for holder in (graph, graph.graph.get("collapsed_from")) if graph is not None else ():
            if holder is not None and node in holder:
                return holder.nodes[node]["symbol"]
    raise KeyError(node)
