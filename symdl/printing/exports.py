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
    "html": lambda r, title: html.report(title=title, backprop=r, svg=rendering.svg(r, inline=True)),
}

DERIVATION: dict[str, Callable[[Derivation, str], Content]] = {
    "txt": lambda d, title: f"{title}\n\n{d}\n",
    "json": lambda d, title: json.dumps(d.to_dict(), indent=2) + "\n",
    "tex": lambda d, title: latex.document(title=title, derivations=[d]),
    "html": lambda d, title: html.report(title=title, derivations=[d]),
}


def backprop_file(result: Backprop, fmt: str, title: str) -> Content:
    return BACKPROP[fmt](result, title)


def derivation_file(derivation: Derivation, fmt: str, title: str) -> Content:
    return DERIVATION[fmt](derivation, title)
