"""The ``symdl`` commands, one handler per command: each reads its parsed arguments, imports what it
uses (so start-up stays light) and returns the exit status; :func:`symdl.cli.main` prints errors.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from symdl import examples as bundled, terminal
from symdl.cli.parser import FILE_FORMATS, STDIN, completion_script
from symdl.errors import SymdlError

if TYPE_CHECKING:
    import sympy as sp

EXIT_CLAIM_WRONG = 1
_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,2})?")


def _expression(args) -> sp.Expr:
    from symdl.parsing import parse, parse_latex
    return parse_latex(args.expr) if args.latex else parse(args.expr)


def _write_requested(args, formats: Sequence[str], produce: Callable[[str], object]) -> bool:
    """Produce every requested file first, then write them all or none; True when one was '-' (stdout)."""
    from symdl.files import STDOUT, write_all
    requested = [(getattr(args, fmt), fmt) for fmt in formats if getattr(args, fmt, None) is not None]
    write_all([(target, produce(fmt)) for target, fmt in requested])
    return any(target == STDOUT for target, _ in requested)


def _cmd_backprop(args) -> int:
    from symdl.backprop import backprop
    from symdl.parsing import parse_latex
    from symdl.printing import exports
    source = parse_latex(args.expr) if args.latex else args.expr
    result = backprop(source, args.at, output=args.output, granularity=args.granularity)
    if not _write_requested(args, FILE_FORMATS["backprop"], lambda fmt: exports.produce("backprop", fmt, result, args.expr)):
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
                            lambda fmt: exports.produce("derivation", fmt, derivation, f"d/d{names[0]} {args.expr}")):
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
    """The problem file at ``path`` (a bundled example's name if no such file exists), or on stdin for ``-``."""
    from symdl.worksheet import load, loads
    from symdl.worksheet.problem import MAX_FILE_BYTES
    if not path:  # Path("") is the current directory
        raise SymdlError("FILE is empty: name a problem file, a bundled example or '-'")
    if path == STDIN:
        return loads(terminal.read_stdin(MAX_FILE_BYTES, "FILE"), "<stdin>")
    return load(bundled.locate(path))


def _stem(path: str) -> str:
    return "stdin" if path == STDIN else Path(path).stem


def _inputs(path: str) -> list[str | Path]:
    """The input files an output must not overwrite (stdin is none)."""
    return [] if path == STDIN else [bundled.locate(path)]


def _distinct(files: Sequence[str]) -> None:
    """Refuse an input given twice (``a.md ./a.md``, or ``-`` twice): its findings would count twice."""
    if list(files).count(STDIN) > 1:
        raise SymdlError("'-' (stdin) may be given once")
    seen: dict[str, str] = {}
    for path in files:
        key = os.path.realpath(path) if path != STDIN else STDIN
        if key in seen:
            raise SymdlError(f"{path} is given twice (as {seen[key]} before)")
        seen[key] = path


def _directory(option: str, value: str | None) -> str | None:
    """A directory option's value; '-' and '' name no directory (Path('') would be the current one)."""
    if value is not None and value in (STDIN, ""):
        raise SymdlError(f"{option} takes a directory, not {value!r}")
    return value


def _load_problems(files: Sequence[str]):
    """Every file loaded and solved before anything is printed: one bad file, and nothing is."""
    from symdl.worksheet import solve
    _distinct(files)
    return [solve(_problem(path)) for path in terminal.progress(files, "symdl: solving", unit="file")]


def _cmd_solve(args) -> int:
    from symdl.files import write_all
    from symdl.printing.exports import worksheet_files
    from symdl.worksheet import check
    out, options = _directory("--out", args.out), _circuit_options(args)
    (solution,) = _load_problems([args.file])
    report = check(solution)
    if out is not None:
        stem = _stem(args.file)
        files = [(Path(out) / f"{stem}.{fmt}", content)
                 for fmt, content in worksheet_files(solution, report, **options).items()]
        for path in write_all(files, inputs=_inputs(args.file), create=[args.out]):
            print(terminal.printable(str(path)))
    elif args.json:
        print(json.dumps({**solution.to_dict(), "check": report.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print(terminal.printable(str(solution)))
    return 0


def _circuit_options(args) -> dict:
    if args.depth is not None and args.depth < 0:
        raise SymdlError(f"--depth takes 0 (the network as one block) or more, not {args.depth}")
    return {} if args.depth is None else {"depth": args.depth}


def _cmd_check(args) -> int:
    from symdl.worksheet import check
    reports = [check(solution) for solution in _load_problems(args.files)]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        print(terminal.printable("\n\n".join(str(r) for r in reports)))
        wrong = sum(len(r.wrong) for r in reports)
        print(f"\n{wrong} of {sum(len(r.verdicts) for r in reports)} claims wrong in {len(reports)} file(s)")
    return EXIT_CLAIM_WRONG if any(r.wrong for r in reports) else 0


def _cmd_exercise(args) -> int:
    from symdl.files import write_all
    from symdl.printing.exports import exercise_files
    from symdl.printing.values import show
    from symdl.worksheet.variants import variants
    out = _directory("--out", args.out)
    problem = _problem(args.file)
    drawn = variants(problem, args.seed, args.count,
                     progress=lambda numbers: terminal.progress(numbers, "symdl exercise", args.count, "variant"))
    if out is not None:
        stem = _stem(args.file)
        files = [(Path(out) / f"{stem}-seed{args.seed}-{suffix}", content)
                 for suffix, content in exercise_files(problem.title, drawn).items()]
        for path in write_all(files, inputs=_inputs(args.file), create=[args.out]):
            print(terminal.printable(str(path)))
    elif args.json:
        print(json.dumps({"title": problem.title, "seed": args.seed, "variants": [v.to_dict() for v in drawn]},
                         indent=2, ensure_ascii=False))
    else:
        for v in drawn:
            given = ", ".join(f"{k} = {show(value)}" for k, value in v.given.items())
            answers = "; ".join(f"{q.label} = {show(q.value)}" for q in v.solution.reported())
            print(terminal.printable(f"{v.number}. given {given}\n   answers: {answers}"))
    return 0


def _cmd_audit(args) -> int:
    from symdl.audit import audit
    from symdl.files import STDOUT, write_all
    from symdl.printing.audit import audit_html
    tolerance = None if args.tolerance in (None, "digits") else _relative_tolerance(args.tolerance)
    _distinct(args.files)
    report = audit(args.files, tolerance)
    if args.html is not None:
        write_all([(args.html, audit_html(report))], inputs=args.files)
    if args.html != STDOUT:  # the page itself went to stdout: nothing else may
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json
              else terminal.printable("\n".join(report.lines())))  # a file name may hold an ESC
    return EXIT_CLAIM_WRONG if report.findings else 0


def _relative_tolerance(text: str) -> float:
    """A decimal as written (0.01, 5e-3): not float()'s 1_0, nan, inf or hex, nor an exponent that underflows."""
    if not _DECIMAL.fullmatch(text):
        raise SymdlError(f"--tolerance takes 'digits' or a relative error such as 0.01, got {text!r}")
    return float(text)


def _cmd_gallery(args) -> int:
    from symdl.gallery import stream_gallery
    _directory("--out", args.out)
    examples = bundled.folder() if args.examples is None else Path(args.examples)
    if not examples.is_dir():
        raise SymdlError(f"--examples: {args.examples} is not a directory")
    for path in stream_gallery(args.out, examples):
        terminal.emit(terminal.printable(str(path)))
    return 0


def _cmd_examples(args) -> int:
    from symdl.files import write_all
    if _directory("--copy", args.copy) is None:
        print("\n".join(bundled.names()))
        return 0
    copies = [(Path(args.copy) / source.name, source.read_bytes()) for source in bundled.problem_files()]
    existing = [target for target, _ in copies if target.exists() or target.is_symlink()]
    if existing:
        raise SymdlError(f"--copy: {existing[0]} exists ({len(existing)} of {len(copies)} files do); "
                         "nothing is overwritten, nothing was copied")
    for path in write_all(copies, create=[args.copy]):
        print(terminal.printable(str(path)))
    return 0


def _cmd_completion(args) -> int:
    print(completion_script(args.shell), end="")
    return 0


HANDLERS: dict[str, Callable[..., int]] = {
    "backprop": _cmd_backprop, "derive": _cmd_derive, "kernel": _cmd_kernel, "gradcheck": _cmd_gradcheck,
    "solve": _cmd_solve, "check": _cmd_check, "exercise": _cmd_exercise, "audit": _cmd_audit,
    "gallery": _cmd_gallery, "examples": _cmd_examples, "completion": _cmd_completion,
}
