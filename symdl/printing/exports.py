"""Every file symdl writes for a backward pass or a derivation, by format name.

The command line and the gallery both ask here, so a ``.tex`` from either is the
same document. Producers only compose the printers; they compute nothing.
"""

from __future__ import annotations

import json
from typing import Callable, Union

from symdl.backprop import Backprop
from symdl.derivation import Derivation
from symdl.printing import html, latex, rendering
from symdl.printing.dot import circuit
from symdl.printing.tikz import tikz

Content = Union[str, bytes]

BACKPROP: dict[str, Callable[[Backprop, str], Content]] = {
    "txt": lambda r, title: f"{title}\n\n{r.table()}\n",
    "json": lambda r, title: json.dumps(r.to_dict(), indent=2) + "\n",
    "dot": lambda r, title: circuit(r).source,
    "svg": lambda r, title: rendering.svg(r),
    "png": lambda r, title: rendering.render(circuit(r).source, "png"),
    "pdf": lambda r, title: rendering.render(circuit(r).source, "pdf"),
    "tikz": lambda r, title: tikz(r),
    "tex": lambda r, title: latex.document(title=title, backprop=r, tikz=tikz(r)),
    "fragment": lambda r, title: latex.fragment(backprop=r, tikz=tikz(r)),
    "html": lambda r, title: html.report(title, r, svg=rendering.svg(r, inline=True)),
}

DERIVATION: dict[str, Callable[[Derivation, str], Content]] = {
    "txt": lambda d, title: f"{title}\n\n{d}\n",
    "json": lambda d, title: json.dumps(d.to_dict(), indent=2) + "\n",
    "tex": lambda d, title: latex.document(derivations=[d]),  # titled by the derivative, typeset
    "fragment": lambda d, title: latex.fragment(derivation=d),
    "html": lambda d, title: html.report(title, d),
}


def _drawable(solution) -> bool:
    return not isinstance(solution.work, Derivation)


WORKSHEET: dict[str, Callable[..., Content]] = {  # (solution, report, **circuit options such as depth)
    "txt": lambda s, report, **circuit: "\n".join(s.lines() + ([""] + report.lines() if report.verdicts else [])) + "\n",
    "json": lambda s, report, **circuit: json.dumps({**s.to_dict(), "check": report.to_dict()}, indent=2,
                                                    ensure_ascii=False) + "\n",
    "tex": lambda s, report, **circuit: latex.worksheet_document(
        s, report=report, tikz=tikz(s.work, **circuit) if _drawable(s) else None),
    "tikz": lambda s, report, **circuit: tikz(s.work, **circuit),
    "svg": lambda s, report, **circuit: rendering.svg(s.work, **circuit),
    "html": lambda s, report, **circuit: html.report(
        s.problem.title, s, claims=report, svg=rendering.svg(s.work, inline=True, **circuit) if _drawable(s) else None),
}


def worksheet_files(solution, report, **circuit) -> dict[str, Content]:
    """Every file of a solved problem by extension (no diagram for a derivative); ``circuit`` holds
    the circuit's options (``depth=1``: a network's layers as blocks)."""
    return {fmt: produce(solution, report, **circuit) for fmt, produce in WORKSHEET.items()
            if _drawable(solution) or fmt not in ("tikz", "svg")}


def exercise_files(title: str, variants) -> dict[str, Content]:
    """The questions and the answers as LaTeX, and both as JSON, by file suffix."""
    work = variants[0].solution.work if variants else None
    blank = tikz(work, values=False, local=False, grad=False) if work is not None and _drawable(variants[0].solution) \
        else None  # the same circuit for every variant, without numbers: the question, not the answer
    return {"questions.tex": latex.exercise_document(title, variants, answers=False, circuit=blank),
            "answers.tex": latex.exercise_document(title, variants, answers=True),
            "exercises.json": json.dumps({"title": title, "variants": [v.to_dict() for v in variants]},
                                         indent=2, ensure_ascii=False) + "\n"}


def backprop_file(result: Backprop, fmt: str, title: str) -> Content:
    return BACKPROP[fmt](result, title)


def derivation_file(derivation: Derivation, fmt: str, title: str) -> Content:
    return DERIVATION[fmt](derivation, title)
