"""How a name is written for a person: alpha as α, a number's x_1 as x₁ where Unicode can lower the
index; a gradient's symbol ∂L/∂W split into its parts. A leaf module, so the text printer, the LaTeX
and MathML printers and a worksheet's labels read names alike."""

from __future__ import annotations

import re
from typing import Optional

_SUBSCRIPTS = dict(zip("0123456789aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
SUBSCRIPT = str.maketrans(_SUBSCRIPTS)
GREEK = {name: chr(0x3B1 + i) for i, name in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lamda mu nu xi omicron pi rho sigmaf sigma tau "
    "upsilon phi chi psi omega".split())}


def lowerable(index: str) -> bool:
    """Whether every character of ``index`` has a Unicode subscript."""
    return all(c in _SUBSCRIPTS for c in index)


def written(name: str, lower: bool = True) -> str:
    """``name`` as a textbook sets it: a Greek letter's name as the letter and, with ``lower``, an index
    after one underscore lowered (s_i as sᵢ, x_1 as x₁). A name whose index Unicode cannot lower (W_Q)
    stays as it is. A matrix's or a quantity's name keeps its index as written (``lower`` False): Unicode
    lowers h and i but not f or g, and W_hi beside W_hf would read as two conventions."""
    base, _, index = name.partition("_")
    base = GREEK.get(base, base)
    if not index:
        return base
    return base + index.translate(SUBSCRIPT) if lower and lowerable(index) else f"{base}_{index}"


_GRADIENT = re.compile(r"∂([^∂/]+)/∂([^∂/]+)")


def gradient_parts(name: str) -> Optional[tuple[str, str]]:
    """(L, W) for a gradient's symbol named ``∂L/∂W`` (a network's upstream gradient), else None: the
    LaTeX and MathML printers set it as a fraction, so ∂L/∂Y Wᵀ cannot read as ∂L/∂(Y Wᵀ)."""
    match = _GRADIENT.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None
