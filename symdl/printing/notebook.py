"""Jupyter display: what ``Derivation._repr_latex_`` and ``Backprop._repr_html_`` return.

Kept apart from the model classes so they stay free of printing code; the
notebook shows the same formulas and table as the LaTeX and HTML reports,
because both functions reuse those printers' pieces.
"""

from __future__ import annotations

from symdl.backprop import Backprop
from symdl.derivation import Derivation
from symdl.printing import rendering
from symdl.printing.html import inline_svg, node_table
from symdl.printing.latex import step_lines


def derivation_repr_latex(d: Derivation) -> str:
    """The steps as ``$$\\begin{aligned}…\\end{aligned}$$`` (MathJax renders ``aligned``, not ``align*``)."""
    return "$$\\begin{aligned}\n" + " \\\\\n".join(step_lines(d)) + "\n\\end{aligned}$$"


def backprop_repr_html(r: Backprop) -> str:
    """The circuit and the node table: a notebook cell already has a page around them."""
    return inline_svg(rendering.svg(r, inline=True)) + "\n" + node_table(r)
