"""The gallery: the seed notes' worked examples, solved by symdl and written to ``figures/``.

Each circuit and derivative is data (title, source, point); the gallery only
runs the public API on it and writes what the printers produce (the same files
``symdl backprop --svg/--tex/...`` writes), so the files show exactly what a user
of symdl would get. Output is deterministic: the same bytes every run.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
import sympy as sp
from sympy.printing.conventions import split_super_sub

from symdl import examples as bundled, formats, plots, terminal, worksheet
from symdl.backprop import backprop
from symdl.derive import derive
from symdl.files import OutputError, probe_writable, write_all
from symdl.parsing import parse, parse_steps, symbol
from symdl.examples import seed_conv, seed_dense, seed_sequence
from symdl.printing import html, rendering
from symdl.printing.text import text


@dataclasses.dataclass(frozen=True)
class Circuit:
    slug: str
    title: str
    source: str  # an expression or named steps
    at: str  # the point, as on the command line
    note: str = ""  # what the seed's hand calculation got wrong, if anything


SEED_CIRCUITS = (
    Circuit("add_mul", "Add, then multiply", "(x + y)*z", "x=-2,y=5,z=-4"),
    Circuit("add_after_mul", "Multiply, then add", "q = y*z; f = x + q", "x=-2,y=5,z=-4",
            "The notes write ∂f/∂x = 0; an add gate passes the gradient unchanged, so it is 1."),
    Circuit("sigmoid_neuron", "A two-input sigmoid neuron, gate by gate",
            "1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"),
    Circuit("max_gate", "The max gate routes the gradient",
            "2*(x*y + max(z, w))", "x=3,y=-4,z=2,w=-1"),
    Circuit("vanishing_sigmoid_chain", "Three sigmoid layers with weights 0.5, where the gradient vanishes",
            "z1 = w1*x; a1 = sigmoid(z1); z2 = w2*a1; a2 = sigmoid(z2); z3 = w3*a2; a3 = sigmoid(z3); "
            "L = (a3 - y)**2/2", "x=1,y=1,w1=0.5,w2=0.5,w3=0.5",
            "The notes' backward pass mixes σ'(z) with σ(z); ∂L/∂x here is the product of every local gradient."),
    Circuit("exploding_relu_chain", "Three ReLU layers with weights 5, where the gradient explodes",
            "f1 = x*w1; f2 = relu(f1); f3 = w2*f2; f4 = relu(f3); f5 = w3*f4; f6 = relu(f5); "
            "f7 = f6 - y; f8 = f7**2; f9 = f8/2", "x=1,y=1,w1=5,w2=5,w3=5",
            "The notes end with ∂L/∂x = 155; it is 124 · 5 · 5 · 5 = 15500."),
)

SEED_DERIVATIVES = (
    ("d_tanh", "tanh(x)"), ("d_sigmoid", "sigmoid(x)"), ("d_softplus", "softplus(x)"), ("d_relu", "relu(x)"),
    ("d_leaky_relu", f"leaky_relu(x, {plots.LEAKY_SLOPE})"), ("d_tanh_from_exp", "(exp(x) - exp(-x))/(exp(x) + exp(-x))"),
    ("d_sigmoid_from_exp", "1/(1 + exp(-x))"), ("d_softplus_from_exp", "log(1 + exp(x))"),
)
CIRCUIT_FORMATS = tuple(f for f in formats.printing("backprop") if f.gallery)
DERIVATION_FORMATS = tuple(f for f in formats.printing("derivation") if f.gallery)
SHEET = formats.BY_NAME["html"]  # a solved problem file's page (its other formats: symdl solve --out)
PLOTS = (("activations", "Activations and their derivatives", plots.activations_svg),
         ("gradient_flow", "Gradient size per layer: vanishing and exploding", plots.gradient_flow_svg),
         ("logic_gates", "Perceptron decision boundaries of the worksheets: AND, OR, and XOR by two layers",
          plots.logic_gates_svg))

# made by ``python -m bench.run`` into figures/, not by the gallery: linked from the index when present
BENCH = (("bench_scaling.svg", "Benchmark: derivation time against graph size, log-log"),
         ("bench_kernels.svg", "Benchmark: value and all gradients, symdl's kernels beside naive lambdify, "
                               "PyTorch, JAX and fused NumPy"))
INDEX_TITLE = "symdl gallery: the seed notes, worked"

NETWORKS = (("mlp_four_input", seed_dense.seed_mlp), ("rnn", seed_sequence.seed_rnn), ("lstm", seed_sequence.seed_lstm),
            ("bahdanau_attention", seed_sequence.seed_bahdanau),
            ("self_attention", seed_sequence.seed_self_attention))
CONV_EXAMPLES = (("edge_detection", seed_conv.seed_edge_detection),
                 ("strided_convolution", seed_conv.seed_strided_convolution),
                 ("pooling", seed_conv.seed_pooling), ("batch_norm", seed_conv.seed_batch_norm),
                 ("output_sizes", seed_conv.seed_output_sizes), ("parameter_count", seed_conv.seed_parameter_count),
                 ("bottleneck_cost", seed_conv.seed_bottleneck_cost))


Step = Callable[[], dict[str, str | bytes]]  # one example: computes its files, by name
BUNDLED = bundled.folder()  # the problem files that ship with symdl


def build_gallery(examples: Optional[str | Path] = BUNDLED) -> dict[str, str | bytes]:
    """Every file of the gallery, by name, computed in memory (nothing written yet), with each
    problem file in ``examples`` (the bundled ones by default; None for none) solved and checked
    under ``worksheets/``.
    Diagrams use the embedded Graphviz, so the files are the same on every machine."""
    with rendering.embedded_only():
        return _compute(_steps(_problem_files(examples)))


def _compute(steps: Iterable[Step], present: Iterable[str] = ()) -> dict[str, str | bytes]:
    """Every step's files, then the index of them all (and of the files named in ``present``)."""
    files = {name: content for produce in steps for name, content in produce().items()}
    return {**files, "index.html": html.index(INDEX_TITLE, _index_groups(files, present))}


def stream_gallery(out: str | Path = "figures", examples: Optional[str | Path] = BUNDLED) -> Iterator[Path]:
    """Solve every seed example (and every problem file in ``examples``), with a progress bar on a
    terminal's stderr, then write all its files or none (a half-regenerated gallery would mix two
    versions) and yield each path; ``out`` and its ``worksheets/`` are created if missing (``out``'s
    parent must exist)."""
    out, problem_files = Path(out), _problem_files(examples)
    create = [out, out / "worksheets"] if problem_files else [out]
    _check_out(out, create)
    with rendering.embedded_only():
        files = _compute(terminal.progress(_steps(problem_files), "symdl gallery", unit="example"),
                         [name for name, _ in BENCH if (out / name).is_file()])
    yield from write_all([(out / name, content) for name, content in files.items()], inputs=problem_files,
                         create=create)


def _check_out(out: Path, create: list[Path]) -> None:
    """Refuse an output directory that cannot be made or written to before the examples are solved
    (seconds of work): a non-directory in the way, a missing parent, no permission, a file system such
    as /proc. A hidden file is created and removed in it (or in its parent) to find out, as the writing would."""
    for directory in create:
        if os.path.lexists(directory) and not directory.is_dir():
            raise OutputError(f"cannot write to {directory}: it is not a directory")
    if not out.is_dir() and not out.parent.is_dir():
        raise OutputError(f"cannot write to {out}: no such directory {out.parent}")
    exists = out.is_dir()
    try:
        probe_writable(out if exists else out.parent)
    except OSError as error:
        raise OutputError(f"cannot {'write to' if exists else 'create'} {out}: {error.strerror}") from None


def write_gallery(out: str | Path = "figures", examples: Optional[str | Path] = BUNDLED) -> list[Path]:
    """The whole gallery written (see :func:`stream_gallery`); the paths, in order."""
    return list(stream_gallery(out, examples))


def _problem_files(examples: Optional[str | Path]) -> list[Path]:
    return sorted(Path(examples).glob("*.toml")) if examples else []


def _steps(problem_files: list[Path]) -> list[Step]:
    """The gallery's work, one step per example, in the order the files are written."""
    steps: list[Step] = _worksheet_steps(problem_files) if problem_files else []
    steps += [functools.partial(_circuit_files, c) for c in SEED_CIRCUITS]
    steps += [functools.partial(_network_files, slug, build) for slug, build in NETWORKS]
    steps.append(lambda: {"convolution.json": _convolution_json()})
    steps += [functools.partial(_derivation_files, slug, text) for slug, text in SEED_DERIVATIVES]
    steps += [functools.partial(_plot_files, slug, draw) for slug, _, draw in PLOTS]
    return steps


def _worksheet_steps(problem_files: list[Path]) -> list[Step]:
    """Each problem file's solution page; then every claim of them all checked, in one text file.
    Every file is read now, so a bad one stops the gallery before anything is written."""
    reports: list[str] = []

    def sheet(path: Path, problem: worksheet.Problem) -> dict[str, str | bytes]:
        solution = worksheet.solve(problem)
        report = worksheet.check(solution)
        reports.append(str(report).replace(str(path), path.name))
        return {f"worksheets/{path.stem}.{SHEET.suffix}": SHEET.producer("worksheet")(solution, report)}

    steps: list[Step] = [functools.partial(sheet, path, worksheet.load(path)) for path in problem_files]
    steps.append(lambda: {"worksheets/check.txt": "\n\n".join(reports) + "\n"})  # after every sheet's step
    return steps


def _circuit_files(c: Circuit) -> dict[str, str | bytes]:
    result = backprop(c.source, c.at)
    point = ", ".join(f"{text(_indexed(symbol(name)))} = {text(value)}" for name, value in result.point.items())
    output = text(_indexed(result.graph.nodes[result.output]["symbol"]))
    title = f"{c.title}: {_as_written(c.source, output)} at {point}"
    return {f"{c.slug}.{f.suffix}": f.producer("backprop")(result, title) for f in CIRCUIT_FORMATS}


def _as_written(source: str, output: str) -> str:
    """An expression (named ``output``) or named steps in textbook notation, for a title (not the code
    that was typed); the title's words say what it shows, so it never writes the formula twice."""
    steps = parse_steps(source) if "=" in source else [(output, parse(source))]
    return "; ".join(f"{text(_indexed(symbol(name)))} = {text(_indexed(expr))}" for name, expr in steps)


def _indexed(expr: sp.Expr) -> sp.Expr:
    """Names as the pages' tables set them, a trailing number as an index (w0 as w₀, as MathML and LaTeX
    write it), so a title and the table under it write one name alike (the text printer keeps w0, as
    the diagrams label their nodes)."""
    def indexed(name: str) -> str:
        base, supers, subs = split_super_sub(name)
        return f"{base}_{''.join(subs)}" if subs and not supers else name
    with sp.evaluate(False):  # renamed, not rebuilt: 2(x·y + max(w, z)) stays undistributed
        return expr.xreplace({s: sp.Symbol(indexed(s.name)) for s in expr.free_symbols if isinstance(s, sp.Symbol)})


def _network_files(slug: str, build) -> dict[str, str | bytes]:
    example = build()
    svg = rendering.svg(example.network)
    page = html.report(example.title, example.network, svg=svg, notes=example.remarks)
    return {f"{slug}.svg": svg, f"{slug}.html": page}


def _plot_files(slug: str, draw: Callable[[], str]) -> dict[str, str | bytes]:
    return {f"{slug}.svg": draw()}


def _derivation_files(slug: str, source: str) -> dict[str, str | bytes]:
    derivation = derive(parse(source), symbol("x"))
    return {f"{slug}.{f.suffix}": f.producer("derivation")(derivation, _derivative_title(source))
            for f in DERIVATION_FORMATS}


def _derivative_title(source: str) -> str:
    """d/dx of the expression in textbook notation (d/dx LeakyReLU(x, 0.2)), not the code typed."""
    return text(sp.Derivative(parse(source), symbol("x")))


def _convolution_json() -> str:
    """The convolution, pooling and batch-norm examples with the notes' slips beside them."""
    examples = {slug: _plain(build()) for slug, build in CONV_EXAMPLES}
    slips = [slip._asdict() for slip in seed_conv.SLIPS]
    return json.dumps({"examples": examples, "slips_in_the_notes": slips}, indent=2, ensure_ascii=False) + "\n"


def _plain(value):
    """Arrays and tuples as nested lists, so the examples are JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _index_groups(files: dict[str, str | bytes], present: Iterable[str] = ()):
    """The index's sections, each a list of (title, link, [(suffix, link)]) for the pages in ``files``:
    a page by its own title, beside it the files of the same name in other formats; the worksheets in
    the course's order (as ``symdl examples`` lists them)."""
    def entry(name: str, title: Optional[str] = None):
        stem = Path(name).with_suffix("")
        also = [(Path(other).suffix[1:], other) for other in files
                if Path(other).with_suffix("") == stem and other != name]
        return title or html.title_of(str(files[name])), name, also

    def pages(names: Iterable[str]):
        return [entry(name) for name in names if name in files]

    sheets = pages(sorted((n for n in files if n.startswith("worksheets/") and n.endswith(".html")),
                          key=lambda n: bundled.course_order(Path(n).stem)))
    sheets += [entry(n, "Every claim of the notes, checked (text)") for n in ["worksheets/check.txt"] if n in files]
    networks = pages(f"{slug}.html" for slug, _ in NETWORKS)
    networks += [("Convolution, pooling, batch norm, sizes and costs, with the notes' slips", None, [("json", n)])
                 for n in ["convolution.json"] if n in files]  # data, not a page: linked as its format alone
    plotted = [entry(f"{slug}.svg", title) for slug, title, _ in PLOTS if f"{slug}.svg" in files]
    plotted += [(title, name, []) for name, title in BENCH if name in present]
    return [
        ("Derivatives", "Step by step, in canonical form.", pages(f"{slug}.html" for slug, _ in SEED_DERIVATIVES)),
        ("Computational graphs", "Forward values, local and global gradients, gate by gate.",
         pages(f"{c.slug}.html" for c in SEED_CIRCUITS)),
        ("Networks", "Tensor-valued graphs of the seed's networks, with the notes' slips named.", networks),
        ("Worksheets", "Each exercise of the notes as a problem file bundled with symdl (listed by "
                       "symdl examples), solved step by step, with the student's own numbers graded.", sheets),
        ("Plots", "Computed with symdl's kernels and backward pass, the perceptrons read from their problem files; "
                  "the benchmarks by bench/run.py.", plotted),
    ]
