"""Reading user input into SymPy: expressions, named steps, LaTeX, points and name lists.

Nothing here hands user text to ``eval``, ``exec``, ``sympify`` or ``parse_expr``:
``text`` and ``latex`` are hand-written parsers over a whitelist of names,
operators and registry functions (``_unicode``: the sub- and superscripts and Greek
letters the text pages write), ``fields`` reads the command line's points and name
lists, ``_names`` says what a name stands for, and
``_build`` is the one place where their pieces become SymPy (and where the limits
in :mod:`symdl.limits` are enforced).
"""

from symdl.parsing._names import own_symbols, symbol
from symdl.parsing.fields import parse_names, parse_point
from symdl.parsing.latex import parse_latex
from symdl.parsing.text import parse, parse_steps

__all__ = ["own_symbols", "parse", "parse_latex", "parse_names", "parse_point", "parse_steps", "symbol"]
