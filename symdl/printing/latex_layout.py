"""How LaTeX parts are laid out on the page: long equations broken into ``align*`` rows, tables that
wrap within the text width, circuits fitted to it, and the ``article`` around them.

Nothing here reads a graph or a derivation: it arranges TeX that :mod:`symdl.printing.latex` has
already made safe. A table never shrinks its text to fit (no ``\\resizebox``, no ``\\small``
subscripts below 7 pt): its wide columns wrap instead.
"""

from __future__ import annotations

import re
from typing import Iterable

import sympy as sp

from symdl.printing.texsafe import latex_of

#: The page every ``article`` is set on (geometry's ``a4paper`` and ``margin``): what a table wraps in and
#: a circuit is fitted to, so the two agree with the document.
PAPER_MM = (210.0, 297.0)
MARGIN_CM = 2.5
POINTS_PER_MM = 72.27 / 25.4  # TeX points
#: ``\textwidth`` and ``\textheight`` of the article, in TeX points (455.24 pt × 702.78 pt).
TEXT_BLOCK = tuple((side - 20 * MARGIN_CM) * POINTS_PER_MM for side in PAPER_MM)

LINE = 62  # rough characters of display math in the text width of an 11 pt article
LEFT_SIDE = 24  # a longer left side gets a line of its own

#: What every part of a fragment may need from the preamble it is pasted into (tabularx loads array).
PACKAGES = ("amsmath", "amssymb", "booktabs", "tabularx", "longtable")


def equation(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` in an ``align*``, broken as a typesetter breaks a long display: a long left side
    on a line of its own, a long sum after a plus or minus sign, a long product between factors."""
    left = latex_of(lhs)
    rows = [f"& {left}", "&= "] if width(left) > LEFT_SIDE else [f"{left} &= "]
    for piece in _pieces(rhs, len(rows) > 1):
        if width(rows[-1]) + width(piece) > LINE and rows[-1].rstrip()[-1] != "=":
            rows.append("&\\quad ")
        rows[-1] += piece + " "
    return "\\begin{align*}\n" + " \\\\\n".join(r.rstrip() for r in rows) + "\n\\end{align*}"


def _pieces(rhs: sp.Basic, roomy: bool) -> list[str]:
    """``rhs`` as the pieces a line may break between: the terms of a sum with their signs, the
    factors of a product with a ``\\cdot`` (a short one, or one on a line of its own, stays whole)."""
    whole = latex_of(rhs)
    if width(whole) <= LINE - (0 if roomy else LEFT_SIDE) or not isinstance(rhs, (sp.Add, sp.Mul)):
        return [whole]
    if isinstance(rhs, sp.Add):
        terms = rhs.as_ordered_terms()
        pieces = [latex_of(terms[0])]
        for term in terms[1:]:
            negative = term.could_extract_minus_sign()
            pieces.append(f"{'-' if negative else '+'} {latex_of(-term if negative else term)}")
        return pieces
    factors = [_factor_tex(f) for f in rhs.as_ordered_factors()]
    return [factors[0]] + [f"\\cdot {f}" for f in factors[1:]]


def _factor_tex(factor: sp.Basic) -> str:
    """A factor of a product on its own: a sum keeps the parentheses the product gave it."""
    tex = latex_of(factor)
    return f"\\left({tex}\\right)" if isinstance(factor, sp.Add) else tex


def width(tex: str) -> int:
    """A rough width of typeset ``tex`` in characters: sizing and font commands and braces count
    nothing, other commands one glyph, a fraction as numerator plus denominator (erring early)."""
    hidden = r"\\(?:left|right|operatorname|mathrm|text|frac|quad)(?![A-Za-z])"
    glyphs = re.sub(rf"(?!{hidden})\\[A-Za-z]+", "x", tex)  # before the hidden go: ``\frac\mathrm{ab}`` is 2
    return len(re.sub(rf"{hidden}|[{{}}&]", "", glyphs))


def aligned(lines: list[str]) -> str:
    """``lhs &= rhs`` lines as one ``align*`` (nothing for no lines)."""
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}" if lines else ""


#: A column that wraps its text, ragged right, within the width the table has left.
WRAP = "X"


#: Lines of a ``\\small`` table that surely fit under a heading on an A4 page: a longer table is cut
#: into several, its header repeated, since a ``tabularx`` cannot break across pages.
TABLE_LINES = 36


def table(columns: str, header: list[str], rows: list[str]) -> str:
    """A booktabs table as wide as the text: the ``X`` columns wrap (ragged right), the others keep
    their natural width; a cell of several lines is :func:`cell_lines`. A table longer than
    :data:`TABLE_LINES` comes as several, one under another, each with the header."""
    spec = columns.replace(WRAP, ">{\\raggedright\\arraybackslash}X")
    head = (f"\\begin{{center}}\\small\n\\begin{{tabularx}}{{\\linewidth}}{{{spec}}}\n\\toprule\n"
            f"{' & '.join(header)} \\\\\n\\midrule\n")
    return "".join(head + "".join(f"{row} \\\\\n" for row in chunk) + "\\bottomrule\n\\end{tabularx}\n\\end{center}\n"
                   for chunk in _chunks(rows))


def _chunks(rows: list[str]) -> list[list[str]]:
    """The rows cut into runs of at most :data:`TABLE_LINES` lines (a cell's ``\\newline`` starts one,
    a fraction takes about two); a row is never split."""
    chunks: list[list[str]] = [[]]
    used = 0
    for row in rows:
        lines = max(1, row.count("\\newline") + 1) + row.count("\\frac")
        if chunks[-1] and used + lines > TABLE_LINES:
            chunks.append([])
            used = 0
        chunks[-1].append(row)
        used += lines
    return chunks


def long_table(columns: str, header: list[str], rows: list[str]) -> str:
    """A booktabs table that may run over several pages, its header repeated on each, a little space
    between rows (a row of matrices would touch the next); for tables of arrays, taller than a page."""
    body = "\\addlinespace\n".join(f"{row} \\\\\n" for row in rows)
    return (f"{{\\small\n\\begin{{longtable}}{{{columns}}}\n\\toprule\n{' & '.join(header)} \\\\\n\\midrule\n"
            f"\\endhead\n\\bottomrule\n\\endfoot\n{body}\\end{{longtable}}\n}}\n")


def cell_lines(cells: list[str]) -> str:
    """Several lines in one wrapping table cell."""
    return " \\newline ".join(cells)


def circuit(heading: str, pictures: str) -> str:
    """A circuit under its heading, placed as a figure is: where begun on this page it would end on
    more pages than begun on a fresh one, it begins on a fresh one. TeX sets it in a box first and
    breaks copies of that box into pages (``\\vsplit``, as the page builder would): one from the
    room left here, one from a fresh page. Its lines (:func:`fit_width`) then break as they fall."""
    return ("\\ifdefined\\symdllines\\else\\newsavebox{\\symdllines}\\fi\n\\par\\penalty-100\n"
            "\\setbox\\symdllines=\\vbox{" + heading + "\n" + fit_width(pictures) + "}%\n"
            "\\begingroup\\vbadness=10000 \\vfuzz=\\maxdimen\\splittopskip=0pt\n"
            "\\dimen0=\\pagegoal\\advance\\dimen0 by -\\pagetotal\n"
            "\\ifdim\\pagegoal=\\maxdimen\\dimen0=\\textheight\\fi\n"
            "\\providecommand{\\symdlpages}[2]{\\setbox0=\\copy\\symdllines\\setbox2=\\vsplit0 to #1#2=1\n"
            "  \\loop\\ifvoid0\\else\\setbox2=\\vsplit0 to \\textheight\\advance#2 by 1 \\repeat}\n"
            "\\symdlpages{\\dimen0}{\\count1}\\symdlpages{\\textheight}{\\count3}\n"
            "\\ifnum\\count1>\\count3 \\newpage\\fi\\endgroup\n"
            "\\unvbox\\symdllines\n")


def fit_width(pictures: str) -> str:
    """A circuit's pictures (its legend, then its parts) centred, a line of the page for each paragraph
    of ``pictures``: the pictures of one paragraph side by side, as words are (a line breaks between
    them only where the text is narrower than the circuit was made for). A page breaks only between
    lines, never after the legend, which keeps to the circuit's first line as the heading keeps to it.
    Each picture is shrunk to the text width only if it is wider (a small circuit keeps its size); the
    box it is measured in is declared the first time, so the block pastes anywhere."""
    lines = [[p + "\\end{tikzpicture}" for p in paragraph.split("\\end{tikzpicture}") if p.strip()]
             for paragraph in re.split(r"\n\s*\n(?=\\begin\{tikzpicture\})", pictures.strip())]
    set_lines = ["\n\\hspace{2em}".join(_fitted(p) for p in line) for line in lines]
    legend = len(lines) > 1 and "\\node[symdl legend]" in lines[0][0]
    body = (set_lines[0] + "\\\\*\n" + "\\\\\n".join(set_lines[1:])) if legend else "\\\\\n".join(set_lines)
    return ("\\ifdefined\\symdlcircuit\\else\\newsavebox{\\symdlcircuit}\\fi\n\\begin{center}"
            "\\lineskip=\\medskipamount\n\\leavevmode" + body + "\n\\end{center}")


def _fitted(picture: str) -> str:
    return ("\\sbox{\\symdlcircuit}{%\n" + picture.strip() + "%\n}%\n\\ifdim\\wd\\symdlcircuit>\\linewidth"
            "\\resizebox{\\linewidth}{!}{\\usebox{\\symdlcircuit}}\\else\\usebox{\\symdlcircuit}\\fi")


#: XeLaTeX and LuaLaTeX start in Latin Modern (``lmr``), which has no OT1 shapes: without this line
#: they substitute the upright medium shape for every other one, and headings lose their bold.
SAME_FONTS_ON_EVERY_ENGINE = ("\\ifPDFTeX\\else\\renewcommand{\\rmdefault}{cmr}\\renewcommand{\\sfdefault}{cmss}"
                              "\\renewcommand{\\ttdefault}{cmtt}\\fontfamily{cmr}\\usepackage[OT1]{fontenc}\\fi")

#: A sub-subscript (a fraction in an inline fraction, x_0 in an exponent) is 7 pt, not LaTeX's 5-6 pt,
#: in the text, in the tables (10 pt) and in the headings (12 pt): every word on the page reads at 6 pt
#: or more. 7 pt is a design size of Computer Modern, so no font is scaled or substituted.
READABLE_MATH_SIZES = ("\\DeclareMathSizes{10.95}{10.95}{8}{7}\\DeclareMathSizes{10}{10}{7}{7}"
                       "\\DeclareMathSizes{12}{12}{8}{7}")


def article(title: str, body: Iterable[str], *, tikz: bool = False) -> str:
    """The ``article`` around already-safe LaTeX parts (the title too: pass text through
    :func:`~symdl.printing.texsafe.tex_escape`). The parts are ASCII (``tex_escape`` writes
    every other character as a command), so pdflatex, xelatex and lualatex all compile it; the fonts
    are Computer Modern's Type 1 outlines (OT1: with T1 and no cm-super, TeX would embed bitmaps)
    on every engine (:data:`SAME_FONTS_ON_EVERY_ENGINE`)."""
    packages = [*PACKAGES, "xcolor"] + (["tikz"] if tikz else [])
    preamble = ["\\documentclass[11pt]{article}", "\\usepackage{iftex}", SAME_FONTS_ON_EVERY_ENGINE,
                f"\\usepackage[a4paper,margin={MARGIN_CM}cm]{{geometry}}",  # TEXT_BLOCK
                *(f"\\usepackage{{{p}}}" for p in packages), READABLE_MATH_SIZES,
                "\\renewcommand{\\labelitemi}{\\ensuremath{\\bullet}}",  # OT1's \\textbullet is a bitmap (TS1)
                "\\allowdisplaybreaks", f"\\title{{{title}}}", "\\author{}", "\\date{}"]
    return "\n".join([*preamble, "\\begin{document}", "\\maketitle", "\n".join(body), "\\end{document}", ""])


def fragment(body: Iterable[str], *, tikz: bool = False) -> str:
    """Parts to paste into one's own document, the packages they need named in the first line."""
    packages = [*PACKAGES] + (["tikz"] if tikz else [])
    return "\n".join([f"% symdl fragment: needs \\usepackage{{{','.join(packages)}}} in the preamble",
                      *body]) + "\n"
