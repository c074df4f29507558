"""The ``symdl`` command: backprop, derive, kernel, gradcheck, worksheets, gallery and completion.

Bad input of any kind is one line on stderr (``symdl COMMAND: …``) and exit status 2; nothing is
written. Anything unforeseen is one line too (``symdl: internal error: …``, exit 3), unless
``SYMDL_DEBUG=1`` asks for the traceback. ``-`` as EXPR or FILE reads stdin. The JSON of
``backprop``, ``derive`` and ``audit`` is a contract (README, "JSON output").

Only argparse runs before a command is chosen: ``symdl --help`` and ``--version`` import no
SymPy, NumPy, SciPy or networkx; each command imports what it uses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from symdl import terminal
from symdl.errors import SymdlError
from symdl.limits import limited

if TYPE_CHECKING:
    import sympy as sp

EXIT_CLAIM_WRONG = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
STDIN = "-"
JSON_DOCS = "the README, section 'JSON output'"


class _UsageError(SymdlError):
    """A command line argparse refused, with the program (``symdl backprop``) it belongs to."""

    def __init__(self, prog: str, message: str):
        self.prog = prog
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, like every other bad input, and reads an
    argument starting with one dash (``-log(x)``, ``-x``) as an expression: symdl has no short options
    other than ``-h``."""

    def error(self, message: str):
        raise _UsageError(self.prog, message)

    def exit(self, status: int = 0, message: Optional[str] = None):
        sys.stdout.flush()  # --help or --version into a closed pipe fails here, where main() handles it
        super().exit(status, message)

    def _parse_optional(self, arg_string: str):
        if arg_string.startswith("-") and not arg_string.startswith("--") \
                and arg_string not in self._option_string_actions:
            return None
        return super()._parse_optional(arg_string)


def _expression(args) -> sp.Expr:
    from symdl.parsing import parse, parse_latex
    return parse_latex(args.expr) if args.latex else parse(args.expr)


def _write_requested(args, formats: Sequence[str], produce: Callable[[str], object]) -> bool:
    """Produce every requested file first, then write them all or none; True when one was '-' (stdout)."""
    from symdl.files import STDOUT, write_all
    requested = [(getattr(args, fmt), fmt) for fmt in formats if getattr(args, fmt, None)]
    write_all([(target, produce(fmt)) for target, fmt in requested])
    return any(target == STDOUT for target, _ in requested)


def _cmd_backprop(args) -> int:
    from symdl.backprop import backprop
    from symdl.parsing import parse_latex
    from symdl.printing import exports
    source = parse_latex(args.expr) if args.latex else args.expr
    result = backprop(source, args.at, output=args.output, granularity=args.granularity)
    if not _write_requested(args, FILE_FORMATS["backprop"], lambda fmt: exports.backprop_file(result, fmt, args.expr)):
        print(json.dumps(result.to_dict(), indent=2) if args.json else result.table())
    return 0


def _cmd_derive(args) -> int:
    from symdl.derive import derive
    from symdl.parsing import parse_names, symbol
    from symdl.printing import exports
    names = parse_names(args.wrt)
    if len(names) != 1:
        raise SymdlError(f"--wrt takes one name for derive, got {args.wrt!r}")
    derivation = derive(_expression(args), symbol(names[0]))
    if not _write_requested(args, FILE_FORMATS["derive"],
                            lambda fmt: exports.derivation_file(derivation, fmt, f"d/d{names[0]} {args.expr}")):
        print(json.dumps(derivation.to_dict(), indent=2) if args.json else str(derivation))
    return 0


def _cmd_kernel(args) -> int:
    from symdl.kernels import kernel
    with terminal.working("symdl kernel: building"):
        source = kernel(_expression(args), args.wrt).source
    print(source, end="")
    return 0


def _cmd_gradcheck(args) -> int:
    from symdl.gradcheck import gradcheck
    from symdl.parsing import parse_latex
    source = parse_latex(args.expr) if args.latex else args.expr
    with terminal.working("symdl gradcheck: building and checking"):
        result = gradcheck(source, at=args.at, wrt=args.wrt, points=args.points, seed=args.seed)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.table())
    return 0 if result.ok else 1


def _problem(path: str):
    """The problem file at ``path``, or on stdin for ``-``."""
    from symdl.worksheet import load, loads
    from symdl.worksheet.problem import MAX_FILE_BYTES
    return loads(terminal.read_stdin(MAX_FILE_BYTES, "FILE"), "<stdin>") if path == STDIN else load(path)


def _stem(path: str) -> str:
    return "stdin" if path == STDIN else Path(path).stem


def _inputs(path: str) -> list[str]:
    """The input files an output must not overwrite (stdin is none)."""
    return [] if path == STDIN else [path]


def _load_problems(files: Sequence[str]):
    """Every file loaded and solved before anything is printed: one bad file, and nothing is."""
    from symdl.worksheet import solve
    if list(files).count(STDIN) > 1:
        raise SymdlError("'-' (stdin) may be given once")
    return [solve(_problem(path)) for path in terminal.progress(files, "symdl: solving", unit="file")]


def _cmd_solve(args) -> int:
    from symdl.files import write_all
    from symdl.printing.exports import worksheet_files
    from symdl.worksheet import check
    (solution,) = _load_problems([args.file])
    report = check(solution)
    if args.out:
        stem = _stem(args.file)
        files = [(Path(args.out) / f"{stem}.{fmt}", content)
                 for fmt, content in worksheet_files(solution, report, **_circuit_options(args)).items()]
        for path in write_all(files, inputs=_inputs(args.file), create=[args.out]):
            print(path)
    elif args.json:
        print(json.dumps({**solution.to_dict(), "check": report.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print(str(solution))
    return 0


def _circuit_options(args) -> dict:
    return {} if args.depth is None else {"depth": args.depth}


def _cmd_check(args) -> int:
    from symdl.worksheet import check
    reports = [check(solution) for solution in _load_problems(args.files)]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(str(r) for r in reports))
        wrong = sum(len(r.wrong) for r in reports)
        print(f"\n{wrong} of {sum(len(r.verdicts) for r in reports)} claims wrong in {len(reports)} file(s)")
    return EXIT_CLAIM_WRONG if any(r.wrong for r in reports) else 0


def _cmd_exercise(args) -> int:
    from symdl.files import write_all
    from symdl.printing.exports import exercise_files
    from symdl.worksheet.solution import show
    from symdl.worksheet.variants import variants
    problem = _problem(args.file)
    drawn = variants(problem, args.seed, args.count,
                     progress=lambda numbers: terminal.progress(numbers, "symdl exercise", args.count, "variant"))
    if args.out:
        stem = _stem(args.file)
        files = [(Path(args.out) / f"{stem}-seed{args.seed}-{suffix}", content)
                 for suffix, content in exercise_files(problem.title, drawn).items()]
        for path in write_all(files, inputs=_inputs(args.file), create=[args.out]):
            print(path)
    elif args.json:
        print(json.dumps({"title": problem.title, "seed": args.seed, "variants": [v.to_dict() for v in drawn]},
                         indent=2, ensure_ascii=False))
    else:
        for v in drawn:
            given = ", ".join(f"{k} = {show(value)}" for k, value in v.given.items())
            answers = "; ".join(f"{q.label} = {show(q.value)}" for q in v.solution.reported())
            print(f"{v.number}. given {given}\n   answers: {answers}")
    return 0


def _cmd_audit(args) -> int:
    from symdl.audit import audit
    from symdl.files import STDOUT, write_all
    from symdl.printing.audit import audit_html
    tolerance = None if args.tolerance in (None, "digits") else _relative_tolerance(args.tolerance)
    report = audit(args.files, tolerance)
    if args.html:
        write_all([(args.html, audit_html(report))], inputs=args.files)
    if args.html != STDOUT:  # the page itself went to stdout: nothing else may
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json else "\n".join(report.lines()))
    return EXIT_CLAIM_WRONG if report.findings else 0


def _relative_tolerance(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SymdlError(f"--tolerance takes 'digits' or a relative error such as 0.01, got {text!r}") from None


def _cmd_gallery(args) -> int:
    from symdl.gallery import stream_gallery
    examples = Path(args.examples)
    if args.examples != "examples" and not examples.is_dir():
        raise SymdlError(f"--examples: {args.examples} is not a directory")
    for path in stream_gallery(args.out, examples if examples.is_dir() else None):
        terminal.emit(str(path))
    return 0


def _cmd_completion(args) -> int:
    import shtab
    parser = _parser()
    hints = {"FILE": shtab.FILE, "DIR": shtab.DIRECTORY}
    for command in _subcommands(parser).values():
        for action in command._actions:
            if action.metavar in hints:
                action.complete = hints[action.metavar]
    print(shtab.complete(parser, shell=args.shell), end="")
    return 0


FILE_FORMATS = {
    "backprop": ("dot", "svg", "png", "pdf", "tikz", "tex", "html"),
    "derive": ("tex", "html"),
}
FILE_HELP = {
    "dot": "Graphviz DOT source of the circuit", "svg": "the circuit as SVG (no system Graphviz needed)",
    "png": "the circuit as PNG (needs Debian's graphviz)", "pdf": "the circuit as PDF (needs Debian's graphviz)",
    "tikz": "the circuit as a TikZ picture", "tex": "a complete LaTeX document", "html": "a self-contained HTML report",
}


def _add_file_options(command: argparse.ArgumentParser, name: str) -> None:
    for fmt in FILE_FORMATS[name]:
        command.add_argument(f"--{fmt}", metavar="FILE", help=f"write {FILE_HELP[fmt]} to FILE, e.g. --{fmt} f.{fmt}")


class _VersionAction(argparse.Action):
    """``--version`` from the installed package's metadata, read only when asked for."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib import metadata
        try:
            version = metadata.version("symdl")
        except metadata.PackageNotFoundError:
            version = "(not installed: run `pip install .` for a version)"
        print(f"symdl {version}")
        parser.exit()


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, by name (for completion and for the help tests)."""
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symdl", description="Symbolic derivations for deep learning: computational graphs,\n"
                                               "local and global gradients, derivatives in textbook form.",
                     epilog=_examples('symdl backprop "(x + y)*z" --at x=-2,y=5,z=-4',
                                      'symdl derive "tanh(x)" --wrt x', "symdl COMMAND --help") +
                     f"\n\nThe JSON of --json is documented in {JSON_DOCS}.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_VersionAction, help="print symdl's version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    # Options that every command takes go on this one parent parser.
    common = _Parser(add_help=False)
    common.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                        help="change a bound of symdl/limits.py for this run, e.g. --limit max_magnitude=20000 "
                             "(repeatable)")

    def command(name: str, handler, help_text: str, *examples: str, more: str = "") -> argparse.ArgumentParser:
        description = textwrap.fill(f"{help_text}{more}", 78)
        sub = commands.add_parser(name, help=help_text, description=description, parents=[common],
                                  epilog=_examples(*examples), formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(handler=handler)
        return sub

    def expression_command(name: str, handler, help_text: str, *examples: str, more: str = "") -> argparse.ArgumentParser:
        sub = command(name, handler, help_text, *examples, more=more)
        sub.add_argument("expr", metavar="EXPR",
                         help="expression, e.g. '(x+y)*z' or '-log(x)', or named steps 'q = x + y; f = q*z' "
                              "(LaTeX with --latex); - reads it from stdin")
        sub.add_argument("--latex", action="store_true", help=r"read EXPR as LaTeX, e.g. '\frac{1}{1+e^{-x}}'")
        return sub

    backprop = expression_command(
        "backprop", _cmd_backprop, "forward values, local and global gradients at a point",
        'symdl backprop "(x + y)*z" --at x=-2,y=5,z=-4',
        'symdl backprop "q = x + y; f = q*z" --at x=-2,y=5,z=-4 --json',
        "echo '1/(1 + exp(-(w*x + b)))' | symdl backprop - --at w=2,x=-1,b=-3 --granularity fused --svg n.svg")
    backprop.add_argument("--at", required=True, metavar="NAME=VALUE,...", help="the point, e.g. x=-2,y=5,z=-4")
    backprop.add_argument("--json", action="store_true",
                          help=f"print one JSON object (expression, value, gradients, nodes; see {JSON_DOCS})")
    backprop.add_argument("--granularity", choices=("gates", "ops", "fused"), default="gates",
                          help="what one gate is: gates = binary lecture gates (default), ops = n-ary sums and "
                               "products, fused = ops with σ, tanh, softplus recognised; e.g. --granularity fused")
    backprop.add_argument("--output", metavar="NODE",
                          help="differentiate this node instead of the last, e.g. --output q")
    _add_file_options(backprop, "backprop")

    derive = expression_command(
        "derive", _cmd_derive, "the derivative, step by step, in canonical form",
        'symdl derive "tanh(x)" --wrt x', 'symdl derive "-log(x)" --wrt x --json',
        r"symdl derive '\frac{1}{1 + e^{-x}}' --latex --wrt x --tex d.tex")
    derive.add_argument("--wrt", required=True, metavar="NAME", help="the variable to differentiate by, e.g. --wrt x")
    derive.add_argument("--json", action="store_true",
                        help=f"print one JSON object (expression, wrt, derivative, steps; see {JSON_DOCS})")
    _add_file_options(derive, "derive")

    kernel = expression_command("kernel", _cmd_kernel, "print the generated NumPy value-and-gradient kernel",
                                'symdl kernel "sigmoid(w*x + b)" --wrt w,b > kernel.py')
    kernel.add_argument("--wrt", metavar="NAME,...", help="inputs to differentiate (default: all), e.g. --wrt w,b")

    gradcheck = expression_command(
        "gradcheck", _cmd_gradcheck,
        "compare symdl's gradients with central differences and PyTorch",
        'symdl gradcheck "tanh(w*x + b)" --points 8 --seed 1', 'symdl gradcheck "relu(x)*y" --at x=0.5,y=2 --json',
        more=" (if installed); exit 0 when all agree, 1 when one disagrees or cannot be checked")
    gradcheck.add_argument("--at", metavar="NAME=VALUE,...",
                           help="check at this point (default: random points), e.g. --at x=0.5,y=2")
    gradcheck.add_argument("--wrt", metavar="NAME,...", help="inputs to check (default: all), e.g. --wrt w")
    gradcheck.add_argument("--points", type=int, default=4, metavar="N",
                           help="random points per input (default: 4), e.g. --points 16")
    gradcheck.add_argument("--seed", type=int, default=0, metavar="S",
                           help="seed of the random points (default: 0), e.g. --seed 7")
    gradcheck.add_argument("--json", action="store_true", help="print every check as JSON")

    solve = command("solve", _cmd_solve, "the full worked solution of a problem file (TOML, see examples/)",
                    "symdl solve examples/sigmoid_neuron.toml", "symdl solve examples/rnn.toml --out solved/",
                    "cat homework.toml | symdl solve - --json")
    solve.add_argument("file", metavar="FILE", help="the problem file, e.g. examples/add_mul.toml; - reads stdin")
    solve.add_argument("--out", metavar="DIR",
                       help="write FILE's solution as .txt .json .tex .tikz .svg .html to DIR, e.g. --out solved/")
    solve.add_argument("--depth", type=int, metavar="N",
                       help="draw a network's layers (names before a dot: fc1.Wx is in fc1) as blocks down to "
                            "depth N, as torchview does; 0 draws the network as one block, e.g. --depth 1")
    solve.add_argument("--json", action="store_true", help="print the machine-readable solution")

    check = command("check", _cmd_check,
                    "grade the claims of problem files, line by line",
                    "symdl check examples/*.toml", "symdl check homework.toml --json",
                    more="; exit 1 when one is wrong, 0 when all hold, 2 on a bad file")
    check.add_argument("files", metavar="FILE", nargs="+", help="problem files, e.g. examples/*.toml; - reads stdin")
    check.add_argument("--json", action="store_true", help="print one JSON report per file")

    exercise = command("exercise", _cmd_exercise,
                       "variants of a problem with fresh numbers, each with its answer key",
                       "symdl exercise examples/sigmoid_neuron.toml --seed 7",
                       "symdl exercise examples/lstm.toml --seed 1 --count 30 --out exercises/")
    exercise.add_argument("file", metavar="FILE", help="the problem file, e.g. examples/add_mul.toml; - reads stdin")
    exercise.add_argument("--seed", type=int, required=True, metavar="N",
                          help="the same seed gives the same variants, e.g. --seed 7")
    exercise.add_argument("--count", type=int, default=1, metavar="K",
                          help="how many variants (default: 1), e.g. --count 30")
    exercise.add_argument("--out", metavar="DIR",
                          help="write questions and answers (.tex) and .json to DIR, e.g. --out exercises/")
    exercise.add_argument("--json", action="store_true", help="print the variants and their answers as JSON")

    audit = command("audit", _cmd_audit,
                    "check every chain of equalities in notes (Markdown, LaTeX, text) and flag each slip on its line",
                    "symdl audit notes.md", "symdl audit lab*.md --json", "symdl audit notes.tex --html checked.html",
                    more="; exit 1 with findings, 0 without, 2 on a bad file")
    audit.add_argument("files", metavar="FILE", nargs="+", help="notes to check, e.g. lecture4.md notes.tex")
    audit.add_argument("--json", action="store_true",
                       help=f"print one JSON object (files, checked, findings; see {JSON_DOCS})")
    audit.add_argument("--html", metavar="OUT",
                       help="write the notes back with each checked equation marked, e.g. --html checked.html")
    audit.add_argument("--tolerance", metavar="digits|REL",
                       help="agree to the digits written (default), or within this relative error, e.g. --tolerance 0.01")

    gallery = command("gallery", _cmd_gallery,
                      "solve the seed notes' worked examples and problem files into a directory",
                      "symdl gallery", "symdl gallery --out /tmp/figures --examples examples",
                      more=" (SVG, TikZ, LaTeX, HTML, JSON, text, with an index.html); each path is printed "
                           "as it is written")
    gallery.add_argument("--out", default="figures", metavar="DIR",
                         help="directory to write (default: figures), e.g. --out /tmp/figures")
    gallery.add_argument("--examples", default="examples", metavar="DIR",
                         help="problem files to solve and check into OUT/worksheets (default: examples, if present), "
                              "e.g. --examples my_problems/")

    completion = command("completion", _cmd_completion, "print a shell completion script for symdl",
                         "symdl completion bash > ~/.local/share/bash-completion/completions/symdl",
                         "symdl completion zsh > ~/.zfunc/_symdl")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell, e.g. bash")
    return parser


def _limits(settings: Sequence[str]) -> dict:
    """``--limit`` settings, read like ``--at`` (symdl's own parser); the last of a name wins."""
    if not settings:
        return {}
    from symdl.parsing import parse_point
    return {name: value for setting in settings for name, value in parse_point(setting).items()}


def _read_stdin_expression(args) -> None:
    """``-`` as EXPR: the expression is stdin's text."""
    from symdl.limits import LIMITS
    if getattr(args, "expr", None) == STDIN:
        args.expr = terminal.read_stdin(4 * LIMITS.max_text_length, "EXPR").strip()  # UTF-8: ≤ 4 bytes a character


def _fail(prog: str, message: str, status: int = EXIT_BAD_INPUT) -> int:
    """The one place an error is printed: one line, every character a terminal would act on escaped."""
    try:
        print(terminal.clean(f"{prog}: {message}"), file=sys.stderr)
    except OSError:  # stderr itself is gone; the status still tells
        pass
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    terminal.encodable_output()
    prog = "symdl"
    try:
        args = _parser().parse_args(argv)
        prog = f"symdl {args.command}"
        _read_stdin_expression(args)
        with limited(**_limits(args.limit)):  # unknown names are refused; restored after the command
            status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at exit
        return status
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error, as for ripgrep
        terminal.detach_stdout()
        return 0
    except _UsageError as error:
        return _fail(error.prog, str(error))
    except SymdlError as error:
        return _fail(prog, str(error))
    except OSError as error:  # an output file that cannot be written: a bad path is bad input too
        return _fail(prog, f"cannot write {error.filename or 'the output'}: {error.strerror or error}")
    except KeyboardInterrupt:
        return _fail(prog, "interrupted", EXIT_INTERRUPTED)
    except (RecursionError, MemoryError, OverflowError) as error:  # a resource bound symdl did not foresee
        return _fail(prog, f"input too large to process ({type(error).__name__})")
    except Exception as error:  # a bug: one line, not a traceback, unless a developer asks
        if os.environ.get("SYMDL_DEBUG") == "1":
            raise
        message = str(error)[:500]  # an exception may carry a whole expression
        return _fail("symdl", f"internal error: {type(error).__name__}: {message}, please report", EXIT_INTERNAL_ERROR)


if __name__ == "__main__":
    sys.exit(main())
