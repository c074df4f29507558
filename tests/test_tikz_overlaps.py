"""Issue 12: in every bundled example's TikZ circuit no text runs into a box or into other text.
TikZ itself reports where it drew each box, leaf and wire label (their corners, in the picture's
own coordinates), so the measure is the picture as compiled, not symdl's idea of it.

Before: the masked multi-head attention's output box, ``L = tr((−Tᵀ + Yᵀ)(−T + Y))/2`` set in a box
Graphviz had sized for ``L ½SSE``, grew 75 bp past it and under the label ``∂L/∂Y = −T + Y``; max_gate's
labels ``∂f₂/∂w = H(w − z)`` and ``∂f₂/∂z = H(z − w)``, wider in TeX than Graphviz measured them, met by 7.7 bp."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from symdl import examples
from symdl.printing import exports
from symdl.worksheet import check, load, solve

_LABEL = re.compile(r"node\[symdl local\] at")
_NAMED = re.compile(r"^\\node\[symdl (?!legend)[^\]]*\] \((n\d+)\) at", flags=re.M)
_BOX = re.compile(r"^SYMDLBOX (\d+) (\S+) ([-\d.]+)pt ([-\d.]+)pt ([-\d.]+)pt ([-\d.]+)pt$", flags=re.M)


def _circuit(name: str):
    solution = solve(load(examples.path(name)))
    return exports.worksheet_files(solution, check(solution)).get("tikz")


def _reporting(picture: str, k: int) -> str:
    """The picture with its wire labels named and, at its end, a log line per box and label:
    ``SYMDLBOX picture name x0 y0 x1 y1``."""
    count = iter(range(10 ** 6))
    picture = _LABEL.sub(lambda _: f"node[symdl local] (label{next(count)}) at", picture)
    names = _NAMED.findall(picture) + [f"label{i}" for i in range(next(count))]
    report = "".join(rf"\path ({n}.south west); \pgfgetlastxy{{\ax}}{{\ay}} \path ({n}.north east); "
                     rf"\pgfgetlastxy{{\bx}}{{\by}} \typeout{{SYMDLBOX {k} {n} \ax\space\ay\space\bx\space\by}}"
                     "\n" for n in names)
    return picture.replace(r"\end{tikzpicture}", report + r"\end{tikzpicture}")


def _overlaps(boxes: dict[tuple[str, str], tuple[float, ...]]) -> list[tuple[str, str, float, float]]:
    """Pairs in one picture whose rectangles meet by more than 0.5 pt each way."""
    found = []
    items = sorted(boxes.items())
    for i, ((pic, a), p) in enumerate(items):
        for (pic2, b), q in items[i + 1:]:
            dx, dy = min(p[2], q[2]) - max(p[0], q[0]), min(p[3], q[3]) - max(p[1], q[1])
            if pic == pic2 and dx > 0.5 and dy > 0.5:
                found.append((a, b, round(dx, 1), round(dy, 1)))
    return found


@pytest.mark.parametrize("name", examples.names())
def test_no_text_runs_into_a_box_or_other_text(tmp_path, name):
    if not shutil.which("pdflatex"):
        pytest.skip("needs pdflatex: install Debian's texlive-latex-base and texlive-pictures")
    circuit = _circuit(name)
    if not circuit:
        pytest.skip(f"{name} has no circuit")
    pictures = re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", circuit, flags=re.S)
    body = "\n\n".join(_reporting(p, k) for k, p in enumerate(pictures))
    (tmp_path / "c.tex").write_text("\\documentclass[11pt]{article}\\usepackage{amsmath,amssymb,tikz}\n"
                                    f"\\begin{{document}}\n{body}\n\\end{{document}}\n", encoding="ascii")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "c.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "c.log").read_text(errors="replace")
    boxes = {(m[1], m[2]): tuple(float(c) for c in m.groups()[2:]) for m in _BOX.finditer(log)}
    labels = sum(1 for _, n in boxes if n.startswith("label"))
    assert len(boxes) >= 3 and labels == len(_LABEL.findall(circuit))  # every label measured
    assert _overlaps(boxes) == []
