"""The producers of every file format (:mod:`symdl.formats`), ``<kind>_<format>`` each.

The command line and the gallery both make files through :func:`produce`, so a ``.tex`` from either
is the same document. Producers only compose the printers; they compute nothing.
"""

from __future__ import annotations

import json
from typing import Optional, Union

from symdl.backprop import Backprop
from symdl.derivation import Derivation
from symdl.printing import html, rendering
from symdl.printing.dot import circuit
from symdl.formats import BY_NAME, printing
from symdl.printing.latex import latex
from symdl.printing.latex_worksheets import ExerciseSheet
from symdl.printing.tikz import tikz

Content = Union[str, bytes]


def produce(kind: str, fmt: str, *args, **options) -> Optional[Content]:
    """The ``fmt`` file of an object of ``kind`` (arguments as :data:`symdl.formats.KINDS` says)."""
    return BY_NAME[fmt].producer(kind)(*args, **options)


# --- a backward pass: (result, title) ------------------------------------------------------------
def backprop_txt(r: Backprop, title: str) -> str:
    return f"{title}\n\n{r.table()}\n"


def backprop_json(r: Backprop, title: str) -> str:
    return json.dumps(r.to_dict(), indent=2) + "\n"


def backprop_dot(r: Backprop, title: str) -> str:
    return circuit(r).source


def backprop_svg(r: Backprop, title: str) -> str:
    return rendering.svg(r)


def backprop_png(r: Backprop, title: str) -> bytes:
    return rendering.render(circuit(r).source, "png")


def backprop_pdf(r: Backprop, title: str) -> bytes:
    return rendering.render(circuit(r).source, "pdf")


def backprop_tikz(r: Backprop, title: str) -> str:
    return tikz(r)


def backprop_tex(r: Backprop, title: str) -> str:
    return latex(r, title=title, tikz=tikz(r))


def backprop_fragment(r: Backprop, title: str) -> str:
    return latex(r, fragment=True, tikz=tikz(r))


def backprop_html(r: Backprop, title: str) -> str:
    return html.report(title, r, svg=rendering.svg(r, inline=True))


# --- a derivation: (derivation, title) -----------------------------------------------------------
def derivation_txt(d: Derivation, title: str) -> str:
    return f"{title}\n\n{d}\n"


def derivation_json(d: Derivation, title: str) -> str:
    return json.dumps(d.to_dict(), indent=2) + "\n"


def derivation_tex(d: Derivation, title: str) -> str:
    return latex(d)  # titled by the derivative, typeset


def derivation_fragment(d: Derivation, title: str) -> str:
    return latex(d, fragment=True)


def derivation_html(d: Derivation, title: str) -> str:
    return html.report(title, d)


# --- a solved problem: (solution, report, **circuit options); None where it has no such file -----
def _drawable(solution) -> bool:
    return not isinstance(solution.work, Derivation)


def _drawn(solution, circuit: dict) -> dict:
    """The circuit's options; a values-only problem's circuit shows no gradients."""
    return {**circuit, "local": False, "grad": False} if solution.values_only else circuit


def worksheet_txt(s, report, **circuit) -> str:
    return "\n".join(s.lines() + ([""] + report.lines() if report.verdicts else [])) + "\n"


def worksheet_json(s, report, **circuit) -> str:
    return json.dumps({**s.to_dict(), "check": report.to_dict()}, indent=2, ensure_ascii=False) + "\n"


def worksheet_tex(s, report, **circuit) -> str:
    return latex(s, report=report, tikz=tikz(s.work, **_drawn(s, circuit)) if _drawable(s) else None)


def worksheet_fragment(s, report, **circuit) -> str:
    return latex(s, fragment=True, report=report, tikz=tikz(s.work, **_drawn(s, circuit)) if _drawable(s) else None)


def worksheet_tikz(s, report, **circuit) -> Optional[str]:
    return tikz(s.work, **_drawn(s, circuit)) if _drawable(s) else None


def worksheet_svg(s, report, **circuit) -> Optional[str]:
    return rendering.svg(s.work, **_drawn(s, circuit)) if _drawable(s) else None


def worksheet_html(s, report, **circuit) -> str:
    svg = rendering.svg(s.work, inline=True, **_drawn(s, circuit)) if _drawable(s) else None
    return html.report(s.problem.title, s, svg=svg, claims=report)


def worksheet_files(solution, report, **circuit) -> dict[str, Content]:
    """Every file of a solved problem by suffix (no diagram for a derivative); ``circuit`` holds
    the circuit's options (``depth=1``: a network's layers as blocks)."""
    made = {f.suffix: f.producer("worksheet")(solution, report, **circuit) for f in printing("worksheet")}
    return {suffix: content for suffix, content in made.items() if content is not None}


def exercise_files(title: str, variants) -> dict[str, Content]:
    """The questions and the answers as LaTeX documents and as fragments, and both as JSON, by file suffix."""
    work = variants[0].solution.work if variants else None
    blank = tikz(work, values=False, local=False, grad=False) if work is not None and _drawable(variants[0].solution) \
        else None  # the same circuit for every variant, without numbers: the question, not the answer
    sheets = {"questions": ExerciseSheet(title, variants, answers=False, circuit=blank),
              "answers": ExerciseSheet(title, variants, answers=True)}
    return {**{f"{name}.tex": latex(sheet) for name, sheet in sheets.items()},
            **{f"{name}.fragment.tex": latex(sheet, fragment=True) for name, sheet in sheets.items()},
            "exercises.json": json.dumps({"title": title, "variants": [v.to_dict() for v in variants]},
                                         indent=2, ensure_ascii=False) + "\n"}
