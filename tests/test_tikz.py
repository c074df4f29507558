"""TikZ circuits and the TeX escaping under them: structure, the numbers, names that
try to run TeX commands, and a real compile where a TeX installation exists."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import symdl
from symdl import examples as bundled
from symdl.printing.scene import node_ids
from symdl.printing.texsafe import latex_of, tex_escape
from symdl.printing.tikz import MIN_SCALE, tikz

SEEDS = {
    "add then multiply": ("(x+y)*z", "x=-2,y=5,z=-4"),
    "multiply then add": ("x + y*z", "x=-2,y=5,z=-4"),
    "sigmoid neuron": ("1/(1+exp(-(w0*x0+w1*x1+w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"),
    "max gate": ("2*(x*y + max(z, w))", "x=3,y=-4,z=2,w=-1"),
}
INJECTIONS = ["\\input{/etc/passwd}", "\\write18{rm}", "\\def\\x{1}", "\\catcode`\\@=11", "\\openout1=x",
              "\\include{a}", "^^5cinput{/etc/passwd}", "$\\input{x}$", "}\\input{x}{", "%\n\\input{x}"]
FORBIDDEN = re.compile(r"\\(input|include|write18|write|openout|def|catcode)(?![A-Za-z])")


def balanced_braces(tex: str) -> bool:
    """Braces nest, reading ``\\{``, ``\\}`` and other control symbols as escaped."""
    depth, i = 0, 0
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def unescaped(tex: str, char: str) -> int:
    return len(re.findall(r"(?<!\\)" + re.escape(char), tex.replace("\\\\", "")))


def check_structure(picture: str, graph) -> None:
    """One or more pictures (a long circuit comes in rows); every node drawn once in full (a node
    continued in a later row is drawn there again, dashed), every edge once."""
    pictures = re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", picture, flags=re.S)
    assert pictures and picture.count(r"\begin{tikzpicture}") == picture.count(r"\end{tikzpicture}") == len(pictures)
    assert all(balanced_braces(p) for p in pictures)
    assert unescaped(picture, "%") == 0 and unescaped(picture, "$") % 2 == 0
    nodes = re.findall(r"^\\node\[symdl (?!continued)[^\n]*\((n\d+)\) at", picture, flags=re.M)
    assert sorted(nodes) == sorted(node_ids(graph).values())
    continued = re.findall(r"^\\node\[symdl continued[^\n]*\((n\d+)\) at", picture, flags=re.M)
    assert set(continued) <= set(nodes)
    assert picture.count(r"\draw[") == graph.number_of_edges()
    assert not FORBIDDEN.search(picture)


@pytest.fixture(scope="module")
def seeds():
    return {name: symdl.backprop(expr, at=at) for name, (expr, at) in SEEDS.items()}


@pytest.mark.parametrize("name", SEEDS)
def test_picture_has_one_node_per_graph_node_and_one_draw_per_edge(name, seeds):
    picture = tikz(seeds[name])
    check_structure(picture, seeds[name].graph)
    assert picture.count(r"\node[symdl legend] (legend)") == 1


def test_picture_carries_values_gradients_and_local_gradients(seeds):
    picture = tikz(seeds["add then multiply"])
    assert r"$q = x + y$" in picture and r"$f = z \cdot q$" in picture
    for value in ("-2", "5", "-4", "3", "-12"):
        assert rf"\textcolor{{symdlvalue}}{{$= {value}$}}" in picture
    assert r"\textcolor{symdlgrad}{$\partial f/\partial q = -4$}" in picture
    assert r"{$\partial f/\partial q = z$\\ $= -4$}" in picture  # past 10 characters, the value below
    assert r"\definecolor{symdlvalue}{HTML}{1B7837}" in picture
    neuron = tikz(seeds["sigmoid neuron"])
    assert r"$= 0.731059$" in neuron  # a long label is broken at its "=", for the page's width
    assert r"\textcolor{symdlgrad}{$\partial f/\partial w_{0}$}\\ \textcolor{symdlgrad}{$= -0.196612$}" in neuron
    assert r"{$\partial f/\partial q_{7}$\\ $= - f^{2}$\\ $= -0.534447$}" in neuron  # a line each past 10 characters


def test_picture_follows_the_graphviz_layout(seeds):
    """Left to right: every wire goes from a node further left to one further right; the boxes,
    placed by Graphviz, lie inside the picture and apart; and each is sized for its TeX lines (a
    line of 10.95 pt text is 13.6 pt; 16 bp a line and 12 bp of padding at most), not, as the DOT
    circuit's nested clusters are, about twice as tall as its text."""
    result = symdl.backprop("x*y + z", at="x=2,y=3,z=1")
    picture = tikz(result, rankdir="LR")
    assert picture.count(r"\begin{tikzpicture}") == 2  # the legend, and the circuit in one row
    at = {m[0]: (float(m[1]), float(m[2])) for m in re.findall(r"\((n\d+)\) at \(([-\d.]+),([-\d.]+)\)", picture)}
    ids = node_ids(result.graph)
    for u, v in result.graph.edges:
        assert at[ids[u]][0] < at[ids[v]][0]
    width, height = (float(c) for c in re.search(r"rectangle \(([\d.]+),([\d.]+)\)", picture).groups())
    boxes = {}
    for m in re.finditer(r"minimum width=([\d.]+)bp, minimum height=([\d.]+)bp\] \((n\d+)\) at \S+ \{(.*)\};$",
                         picture, flags=re.M):
        w, h, (x, y) = float(m[1]), float(m[2]), at[m[3]]
        assert h <= 16 * (m[4].count(r"\\") + 1) + 12, m[0]
        boxes[m[3]] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        assert -0.01 <= boxes[m[3]][0] and boxes[m[3]][2] <= width + 0.01
        assert -0.01 <= boxes[m[3]][1] and boxes[m[3]][3] <= height + 0.01
    assert sorted(boxes) == sorted(ids.values())
    for a, p in boxes.items():
        for b, q in boxes.items():
            assert a == b or min(p[2], q[2]) <= max(p[0], q[0]) or min(p[3], q[3]) <= max(p[1], q[1]), (a, b)


def _positions(picture: str) -> dict:
    return {m[0]: (float(m[1]), float(m[2])) for m in re.findall(r"\((n\d+)\) at \(([-\d.]+),([-\d.]+)\)", picture)}


def _pictures(picture: str) -> list[str]:
    return re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", picture, flags=re.S)


def test_a_long_chain_is_split_into_parts_that_fit_the_page(seeds):
    """Issue 12: the 9-gate neuron is about 1800 bp wide left to right; fitted to the text width its
    labels would be under 6 pt. It is drawn in parts instead, each one shrunk by at most MIN_SCALE
    (scale read from the picture), every wire within a part running forward, all of them rightward or
    all downward, and every node fed from an earlier part drawn again in this one (dashed) so the wire
    into it has both ends."""
    neuron = seeds["sigmoid neuron"]
    ids = node_ids(neuron.graph)
    parts = _pictures(tikz(neuron))[1:]  # the legend first
    assert len(parts) > 2
    drawn = set()
    for part in parts:
        scale = re.search(r"scale=([\d.]+)", part)
        assert scale is None or float(scale.group(1)) >= MIN_SCALE
        at = _positions(part)
        steps = []
        for u, v in neuron.graph.edges:
            if re.search(rf"\\draw\[symdl wire\] \({ids[u]}\)[^;]*\({ids[v]}\)", part):
                steps.append((at[ids[v]][0] - at[ids[u]][0], at[ids[v]][1] - at[ids[u]][1]))
                drawn.add((u, v))
        assert all(dx > 0 for dx, _ in steps) or all(dy < 0 for _, dy in steps), steps
    assert drawn == set(neuron.graph.edges)


def test_options_reach_the_picture(seeds):
    result = seeds["add then multiply"]
    assert "symdlvalue}{$=" not in tikz(result, values=False)
    assert r"\partial f/\partial q = -4$}}" not in tikz(result, grad=False)
    assert "node[symdl local]" not in tikz(result, local=False)
    assert r"{$\partial f/\partial q = -4$}" in tikz(result, symbolic=False)
    check_structure(tikz(result, rankdir="TB"), result.graph)


def test_bare_graph_picture():
    graph = symdl.build_graph("(x+y)*z")
    picture = tikz(graph)
    check_structure(picture, graph)
    assert "symdlvalue}{$=" not in picture and r"{$\partial f/\partial q = z$}" in picture


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_cannot_run_tex_commands(name):
    s, x = sp.Symbol(name, real=True), sp.Symbol("x", real=True)
    for source in (symdl.build_graph(s * x + s), symdl.backprop(s * x + s, at={name: 2, "x": 3})):
        picture = tikz(source)
        check_structure(picture, source.graph if isinstance(source, symdl.Backprop) else source)
        assert "\\input" not in picture and "\\write18" not in picture


def test_tex_escape_escapes_every_special_and_drops_controls():
    assert tex_escape("\\{}$&#^_%~") == (r"\textbackslash{}\{\}\$\&\#\textasciicircum{}\_\%\textasciitilde{}")
    assert tex_escape("a\x00b\x1bc\nd\u0085") == "abcd"
    assert tex_escape("plain text, é") == r"plain text, \'{e}"  # ASCII out: any engine reads it


def test_latex_of_keeps_plain_identifiers_and_boxes_the_rest():
    w0, alpha = sp.Symbol("w0"), sp.Symbol("alpha")
    assert latex_of(w0) == sp.latex(w0) == "w_{0}"
    assert latex_of(alpha * sp.exp(-w0)) == sp.latex(alpha * sp.exp(-w0))
    assert latex_of(sp.Symbol("\\input{/etc/passwd}")) == r"\text{\textbackslash{}input\{/etc/passwd\}}"
    assert latex_of(sp.Function("\\write18")(w0)).startswith(r"\text{\textbackslash{}write18}")
    assert latex_of(sp.MatrixSymbol("\\def\\x", 2, 2)) == r"\text{\textbackslash{}def\textbackslash{}x}"


@given(st.text(min_size=1, max_size=16))
def test_any_name_gives_balanced_safe_tex(name):
    assume(name not in ("x", "q", "f"))
    tex = latex_of(sp.Symbol(name) * sp.Symbol("x") + 1)
    assert balanced_braces(tex) and not FORBIDDEN.search(tex)
    assert unescaped(tex, "%") == 0 and unescaped(tex, "#") == 0 and unescaped(tex, "$") == 0


def _compile(tmp_path, picture: str) -> subprocess.CompletedProcess:
    document = ("\\documentclass{article}\n\\usepackage{tikz}\n\\pagestyle{empty}\n"
                "\\begin{document}\n\\resizebox{\\linewidth}{!}{%\n" + picture + "}\n\\end{document}\n")
    (tmp_path / "circuit.tex").write_text(document, encoding="utf-8")
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    if shutil.which("pdflatex"):
        command = ["pdflatex", *flags, "circuit.tex"]
    else:
        command = ["latexmk", "-pdf", f"-pdflatex=pdflatex {' '.join(flags)} %O %S", "circuit.tex"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("case", [*SEEDS, "hostile names", "bare graph"])
def test_picture_compiles_with_latex(case, tmp_path, seeds):
    if not (shutil.which("pdflatex") or shutil.which("latexmk")):
        pytest.skip("no TeX installation: install Debian's texlive-latex-base, texlive-latex-recommended, "
                    "texlive-pictures")
    if case == "hostile names":
        s, t = sp.Symbol(INJECTIONS[0], real=True), sp.Symbol(INJECTIONS[1], real=True)
        source = symdl.backprop(s * t + sp.Symbol('a"b\\c<d>', real=True),
                                at={INJECTIONS[0]: 1, INJECTIONS[1]: 2, 'a"b\\c<d>': 3})
    elif case == "bare graph":
        source = symdl.build_graph("max(x, 0) + 2**y")
    else:
        source = seeds[case]
    done = _compile(tmp_path, tikz(source))
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "circuit.pdf").stat().st_size > 1000
    assert "(/etc/passwd" not in (tmp_path / "circuit.log").read_text(errors="replace")  # never opened


# --- legibility on the page: compiled, measured -------------------------------------------

_WORD = re.compile(r'<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _circuit_words(pdf) -> list[tuple[int, tuple[float, float, float, float], str]]:
    """Every word pdftotext finds between the "Circuit" heading and the next section, with its page
    (from 1) and its box (x0, y0, x1, y1, in pt)."""
    words, page = [], 0
    for m in _WORD.finditer(subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                                           text=True, timeout=120).stdout):
        if m.group(0) == "<page ":
            page += 1
        else:
            words.append((page, tuple(float(c) for c in m.groups()[:4]), m.group(5)))
    start = next(i for i, (_, _, w) in enumerate(words) if w == "Circuit")
    end = next(i for i, (_, _, w) in enumerate(words) if i > start and w in ("Backward", "Worked"))
    return words[start + 1:end]


def _overlapping(words) -> list[tuple[str, str]]:
    """Pairs of words on one page whose boxes overlap by more than 0.5 pt each way (a subscript
    touches its base; a label run into another overlaps it)."""
    def meet(a, b):
        return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5
    return [(w1, w2) for i, (p1, b1, w1) in enumerate(words) for p2, b2, w2 in words[i + 1:]
            if p1 == p2 and meet(b1, b2)]


def _compile_document(tmp_path, document: str):
    if not (shutil.which("pdflatex") and shutil.which("pdftotext")):
        pytest.skip("needs pdflatex and pdftotext: install Debian's texlive-latex-base and poppler-utils")
    (tmp_path / "doc.tex").write_text(document, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:]
    return tmp_path / "doc.pdf"


def _neuron_document() -> str:
    from symdl.printing import exports
    return exports.produce("backprop", "tex", symdl.backprop(*SEEDS["sigmoid neuron"]), "sigmoid neuron")


def _worksheet_document(name: str):
    def document() -> str:
        from symdl.printing import exports
        from symdl.worksheet import check, load, solve
        solution = solve(load(bundled.path(name)))
        return exports.worksheet_files(solution, check(solution))["tex"]
    return document


@pytest.mark.parametrize("document", [_neuron_document, _worksheet_document("lstm"),
                                      _worksheet_document("mlp_four_input")],
                         ids=["sigmoid neuron", "lstm worksheet", "mlp worksheet"])
def test_circuit_labels_are_at_least_6_pt_on_the_page(document, tmp_path):
    """Issue 12: compiled with pdflatex, every word of the circuit (subscripts too) is at least 6 pt
    tall as pdftotext measures it, and no word runs into another; before, the neuron's labels were
    2.5 pt, shrunk to the text width."""
    words = _circuit_words(_compile_document(tmp_path, document()))
    heights = [box[3] - box[1] for _, box, _ in words]
    assert len(heights) > 20 and min(heights) >= 6.0, sorted(heights)[:5]
    assert _overlapping(words) == []


def test_the_neuron_circuit_fills_at_most_two_pages(tmp_path):
    """Issue 12: the gallery's neuron (eight gates, a three-line title) came as seven one-gate rows over
    five pages. Now every line of the page but the last holds two gates or more (a line's gates are the
    solid boxes of its pictures, side by side, that are not leaves), and the circuit, from its heading to
    the next section, is on two A4 pages."""
    from symdl import gallery
    neuron = next(c for c in gallery.SEED_CIRCUITS if c.slug == "sigmoid_neuron")
    document = gallery._circuit_files(neuron)["sigmoid_neuron.tex"]
    circuit = document[document.index(r"\begin{tikzpicture}"):document.rindex(r"\end{tikzpicture}")]
    rows = re.split(r"\\\\\*?\n", circuit)[1:]  # the lines the page breaks between; the legend first
    gates = [len(re.findall(r"^\\node\[symdl (?:gate|output)", row, flags=re.M)) for row in rows]
    assert sum(gates) == 8 and min(gates[:-1]) >= 2, gates
    pages = {page for page, _, _ in _circuit_words(_compile_document(tmp_path, document))}
    assert len(pages) <= 2, sorted(pages)


def test_a_split_circuit_is_the_same_under_every_hash_seed():
    """The rows of a long circuit do not depend on set order: two processes with different
    PYTHONHASHSEED write the same TikZ (the gallery is reproduced byte for byte)."""
    import os
    import subprocess
    import sys
    program = ("import symdl; from symdl.printing.tikz import tikz; "
               "print(tikz(symdl.backprop('1/(1 + exp(-(w0*x0 + w1*x1 + w2)))', "
               "at='w0=2,x0=-1,w1=-3,x1=-2,w2=-3')))")
    outputs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300).stdout for seed in ("1", "2")]
    assert outputs[0].count("\\begin{tikzpicture}") > 2 and outputs[0] == outputs[1]
