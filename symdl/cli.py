"""The ``symdl`` command: backprop, derive, kernel and gallery.

Bad input of any kind is one line on stderr and exit status 2; nothing is
written. The JSON of ``backprop`` and ``derive`` is a contract (DESIGN.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

import sympy as sp

from symdl.errors import SymdlError
from symdl.limits import limited

EXIT_CLAIM_WRONG = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, like every other bad input."""

    def error(self, message: str):
        raise SymdlError(f"{self.prog}: {message}")


def _expression(args) -> sp.Expr:
    from symdl.parsing import parse, parse_latex
    return parse_latex(args.expr) if args.latex else parse(args.expr)


def _write_requested(args, formats: Sequence[str], produce: Callable[[str], object]) -> None:
    """Produce every requested file first, then write them all: an error leaves nothing behind."""
    from symdl.files import write_atomic
    requested = [(fmt, Path(getattr(args, fmt))) for fmt in formats if getattr(args, fmt, None)]
    contents = [(path, produce(fmt)) for fmt, path in requested]
    for path, content in contents:
        write_atomic(path, content)


def _cmd_backprop(args) -> int:
    from symdl.backprop import backprop
    from symdl.parsing import parse_latex
    from symdl.printing import exports
    source = parse_latex(args.expr) if args.latex else args.expr
    result = backprop(source, args.at, output=args.output, granularity=args.granularity)
    _write_requested(args, FILE_FORMATS["backprop"], lambda fmt: exports.backprop_file(result, fmt, args.expr))
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
    _write_requested(args, FILE_FORMATS["derive"],
                     lambda fmt: exports.derivation_file(derivation, fmt, f"d/d{names[0]} {args.expr}"))
    print(json.dumps(derivation.to_dict(), indent=2) if args.json else str(derivation))
    return 0


def _cmd_kernel(args) -> int:
    from symdl.kernels import kernel
    print(kernel(_expression(args), args.wrt).source, end="")
    return 0


def _cmd_gradcheck(args) -> int:
    from symdl.gradcheck import gradcheck
    from symdl.parsing import parse_latex
    source = parse_latex(args.expr) if args.latex else args.expr
    result = gradcheck(source, at=args.at, wrt=args.wrt, points=args.points, seed=args.seed)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.table())
    return 0 if result.ok else 1


def _load_problems(files: Sequence[str]):
    """Every file loaded and solved before anything is printed: one bad file, and nothing is."""
    from symdl.worksheet import load, solve
    return [solve(load(path)) for path in files]


def _cmd_solve(args) -> int:
    from symdl.files import write_atomic
    from symdl.printing.exports import worksheet_files
    from symdl.worksheet import check
    (solution,) = _load_problems([args.file])
    report = check(solution)
    if args.out:
        stem = Path(args.file).stem
        contents = worksheet_files(solution, report)
        for fmt, content in contents.items():
            print(write_atomic(Path(args.out) / f"{stem}.{fmt}", content))
    elif args.json:
        print(json.dumps({**solution.to_dict(), "check": report.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print(str(solution))
    return 0


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
    from symdl.files import write_atomic
    from symdl.printing.exports import exercise_files
    from symdl.worksheet import load
    from symdl.worksheet.solution import show
    from symdl.worksheet.variants import variants
    problem = load(args.file)
    drawn = variants(problem, args.seed, args.count)
    if args.out:
        stem = Path(args.file).stem
        for suffix, content in exercise_files(problem.title, drawn).items():
            print(write_atomic(Path(args.out) / f"{stem}-seed{args.seed}-{suffix}", content))
    elif args.json:
        print(json.dumps({"title": problem.title, "seed": args.seed, "variants": [v.to_dict() for v in drawn]},
                         indent=2, ensure_ascii=False))
    else:
        for v in drawn:
            given = ", ".join(f"{k} = {show(value)}" for k, value in v.given.items())
            answers = "; ".join(f"{q.label} = {show(q.value)}" for q in v.solution.reported())
            print(f"{v.number}. given {given}\n   answers: {answers}")
    return 0


def _cmd_gallery(args) -> int:
    from symdl.gallery import write_gallery
    examples = Path(args.examples)
    if args.examples != "examples" and not examples.is_dir():
        raise SymdlError(f"--examples: {args.examples} is not a directory")
    for path in write_gallery(args.out, examples if examples.is_dir() else None):
        print(path)
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
        command.add_argument(f"--{fmt}", metavar="FILE", help=f"write {FILE_HELP[fmt]} to FILE")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symdl", description="Symbolic derivations for deep learning.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def expression_command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("expr", help="expression, e.g. '(x+y)*z' (or LaTeX with --latex)")
        command.add_argument("--latex", action="store_true", help="read EXPR as LaTeX")
        command.set_defaults(handler=handler)
        return command

    backprop = expression_command("backprop", _cmd_backprop,
                                  "forward values, local and global gradients at a point")
    backprop.add_argument("--at", required=True, metavar="NAME=VALUE,...", help="the point, e.g. x=-2,y=5,z=-4")
    backprop.add_argument("--json", action="store_true", help="print the JSON object of DESIGN.md")
    backprop.add_argument("--granularity", choices=("gates", "ops", "fused"), default="gates")
    backprop.add_argument("--output", metavar="NODE", help="differentiate this node instead of the last")
    _add_file_options(backprop, "backprop")

    derive = expression_command("derive", _cmd_derive, "the derivative, step by step, in canonical form")
    derive.add_argument("--wrt", required=True, metavar="NAME")
    derive.add_argument("--json", action="store_true")
    _add_file_options(derive, "derive")

    kernel = expression_command("kernel", _cmd_kernel, "print the generated NumPy value-and-gradient kernel")
    kernel.add_argument("--wrt", metavar="NAME,...", help="inputs to differentiate (default: all)")

    solve = commands.add_parser("solve", help="the full worked solution of a problem file",
                                description="the full worked solution of a problem file (TOML; see examples/)")
    solve.add_argument("file", metavar="FILE")
    solve.add_argument("--out", metavar="DIR", help="write FILE's solution as .txt .json .tex .tikz .svg .html to DIR")
    solve.add_argument("--json", action="store_true", help="print the machine-readable solution")
    solve.set_defaults(handler=_cmd_solve)

    check = commands.add_parser("check", help="grade the claims of problem files, line by line",
                                description="grade each claim; exit 1 when one is wrong, 2 on a bad file")
    check.add_argument("files", metavar="FILE", nargs="+")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_cmd_check)

    exercise = commands.add_parser("exercise", help="variants of a problem with fresh numbers and answer keys")
    exercise.add_argument("file", metavar="FILE")
    exercise.add_argument("--seed", type=int, required=True, help="the same seed gives the same variants")
    exercise.add_argument("--count", type=int, default=1, metavar="K")
    exercise.add_argument("--out", metavar="DIR", help="write questions and answers (.tex) and .json to DIR")
    exercise.add_argument("--json", action="store_true")
    exercise.set_defaults(handler=_cmd_exercise)

    gradcheck = expression_command("gradcheck", _cmd_gradcheck,
                                   "compare symdl's gradients with central differences (and PyTorch, if installed); "
                                   "exit 0 when all agree, 1 when one disagrees or cannot be checked")
    gradcheck.add_argument("--at", metavar="NAME=VALUE,...", help="check at this point (default: random points)")
    gradcheck.add_argument("--wrt", metavar="NAME,...", help="inputs to check (default: all)")
    gradcheck.add_argument("--points", type=int, default=4, metavar="N", help="random points per input (default: 4)")
    gradcheck.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random points (default: 0)")
    gradcheck.add_argument("--json", action="store_true", help="print every check as JSON")

    gallery = commands.add_parser("gallery", help="regenerate the worked seed examples")
    gallery.add_argument("--out", default="figures", help="directory to write (default: figures)")
    gallery.add_argument("--examples", default="examples", metavar="DIR",
                         help="problem files to solve and check into OUT/worksheets (default: examples, if present)")
    gallery.set_defaults(handler=_cmd_gallery)
    for command in commands.choices.values():
        command.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                             help="change a bound of symdl/limits.py for this run, e.g. max_magnitude=20000 (repeatable)")
    return parser


def _limits(settings: Sequence[str]) -> dict:
    """``--limit`` settings, read like ``--at`` (symdl's own parser); the last of a name wins."""
    from symdl.parsing import parse_point
    return {name: value for setting in settings for name, value in parse_point(setting).items()}


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = _parser().parse_args(argv)
        with limited(**_limits(args.limit)):  # unknown names are refused; restored after the command
            return args.handler(args)
    except SymdlError as error:
        print(f"symdl: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # an output file that cannot be written: a bad path is bad input too
        print(f"symdl: error: cannot write {error.filename or 'the output'}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RecursionError, MemoryError, OverflowError) as error:  # a resource bound symdl did not foresee
        print(f"symdl: error: input too large to process ({type(error).__name__})", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
