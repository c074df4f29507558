"""The ``symdl`` command line as argparse sees it: every command, option and help text.

Only this module and argparse run before a command is chosen, so ``symdl --help`` and ``--version``
import no SymPy, NumPy, SciPy or networkx. The handlers are in :mod:`symdl.cli.commands`.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Optional, Sequence

from symdl import examples as bundled
from symdl.errors import SymdlError
from symdl import formats

STDIN = "-"
JSON_DOCS = "the README, section 'JSON output'"
PROBLEM_FILE = ("a problem file, or the name of a bundled example (`symdl examples` lists them; a file of that "
                "name wins), e.g. sigmoid_neuron or homework.toml; - reads stdin")


class UsageError(SymdlError):
    """A command line argparse refused, with the program (``symdl backprop``) it belongs to."""

    def __init__(self, prog: str, message: str):
        self.prog = prog
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, like every other bad input, and reads an
    argument starting with one dash (``-log(x)``, ``-x``) as an expression: symdl has no short options
    other than ``-h``."""

    def error(self, message: str):
        raise UsageError(self.prog, message)

    def exit(self, status: int = 0, message: Optional[str] = None):
        sys.stdout.flush()  # --help or --version into a closed pipe fails here, where main() handles it
        super().exit(status, message)

    def _parse_optional(self, arg_string: str):
        if arg_string.startswith("-") and not arg_string.startswith("--") \
                and arg_string not in self._option_string_actions:
            return None
        return super()._parse_optional(arg_string)


FILE_FORMATS = {command: tuple(f.name for f in formats.printing(kind) if f.option)
                for command, kind in (("backprop", "backprop"), ("derive", "derivation"))}


def _add_file_options(command: argparse.ArgumentParser, name: str) -> None:
    for fmt in FILE_FORMATS[name]:
        entry = formats.BY_NAME[fmt]
        command.add_argument(f"--{fmt}", metavar="FILE",
                             help=f"write {entry.help} to FILE, e.g. --{fmt} f.{entry.suffix}")


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


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, by name (for completion and for the help tests)."""
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and help text of ``symdl`` (argparse only: cheap to build on each run)."""
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

    def command(name: str, help_text: str, *examples: str, more: str = "") -> argparse.ArgumentParser:
        description = textwrap.fill(f"{help_text}{more}", 78)
        return commands.add_parser(name, help=help_text, description=description, parents=[common],
                                   epilog=_examples(*examples), formatter_class=argparse.RawDescriptionHelpFormatter)

    def expression_command(name: str, help_text: str, *examples: str, more: str = "") -> argparse.ArgumentParser:
        sub = command(name, help_text, *examples, more=more)
        sub.add_argument("expr", metavar="EXPR",
                         help="expression, e.g. '(x+y)*z', '-log(x)' or 'cross_entropy(z1, z2, z3)[2]', or named "
                              "steps 'q = x + y; f = q*z' "
                              "(LaTeX with --latex); - reads it from stdin")
        sub.add_argument("--latex", action="store_true", help=r"read EXPR as LaTeX, e.g. '\frac{1}{1+e^{-x}}'")
        return sub

    backprop = expression_command(
        "backprop", "forward values, local and global gradients at a point",
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
        "derive", "the derivative, step by step, in canonical form",
        'symdl derive "tanh(x)" --wrt x', 'symdl derive "-log(x)" --wrt x --json',
        'symdl derive "softmax(x1, x2, x3)[1]" --wrt x2    # [i] picks a component, counted from 1',
        r"symdl derive '\frac{1}{1 + e^{-x}}' --latex --wrt x --tex d.tex")
    derive.add_argument("--wrt", required=True, metavar="NAME", help="the variable to differentiate by, e.g. --wrt x")
    derive.add_argument("--json", action="store_true",
                        help=f"print one JSON object (expression, wrt, derivative, steps; see {JSON_DOCS})")
    _add_file_options(derive, "derive")

    kernel = expression_command("kernel", "print the generated NumPy value-and-gradient kernel",
                                'symdl kernel "sigmoid(w*x + b)" --wrt w,b > kernel.py')
    kernel.add_argument("--wrt", metavar="NAME,...", help="inputs to differentiate (default: all), e.g. --wrt w,b")

    gradcheck = expression_command(
        "gradcheck",
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

    solve = command("solve", "the full worked solution of a problem file (TOML, see `symdl examples`)",
                    "symdl solve sigmoid_neuron", "symdl solve rnn --out solved/",
                    "cat homework.toml | symdl solve - --json")
    _problem_file(solve.add_argument("file", metavar="FILE", help=PROBLEM_FILE))
    solve.add_argument("--out", metavar="DIR",
                       help="write FILE's solution as .txt .json .tex .fragment.tex .tikz .svg .html to DIR, e.g. --out solved/")
    solve.add_argument("--depth", type=int, metavar="N",
                       help="draw a network's layers (names before a dot: fc1.Wx is in fc1) as blocks down to "
                            "depth N, as torchview does; 0 draws the network as one block, e.g. --depth 1")
    solve.add_argument("--json", action="store_true", help="print the machine-readable solution")

    check = command("check",
                    "grade the claims of problem files, line by line",
                    "symdl check homework.toml --json", "symdl check add_after_mul rnn",
                    "symdl check $(symdl examples)",
                    more="; exit 1 when one is wrong, 0 when all hold, 2 on a bad file")
    _problem_file(check.add_argument("files", metavar="FILE", nargs="+", help=f"each {PROBLEM_FILE}"))
    check.add_argument("--json", action="store_true", help="print one JSON report per file")

    exercise = command("exercise",
                       "variants of a problem with fresh numbers, each with its answer key",
                       "symdl exercise sigmoid_neuron --seed 7",
                       "symdl exercise lstm --seed 1 --count 30 --out exercises/")
    _problem_file(exercise.add_argument("file", metavar="FILE", help=PROBLEM_FILE))
    exercise.add_argument("--seed", type=int, required=True, metavar="N",
                          help="the same seed gives the same variants, e.g. --seed 7")
    exercise.add_argument("--count", type=int, default=1, metavar="K",
                          help="how many variants (default: 1), e.g. --count 30")
    exercise.add_argument("--out", metavar="DIR",
                          help="write questions and answers (.tex) and .json to DIR, e.g. --out exercises/")
    exercise.add_argument("--json", action="store_true", help="print the variants and their answers as JSON")

    audit = command("audit",
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

    gallery = command("gallery",
                      "solve the seed notes' worked examples and problem files into a directory",
                      "symdl gallery", "symdl gallery --out /tmp/figures --examples my_problems/",
                      more=" (SVG, TikZ, LaTeX, HTML, JSON, text, with an index.html); each path is printed "
                           "as it is written")
    gallery.add_argument("--out", default="figures", metavar="DIR",
                         help="directory to write (default: figures), e.g. --out /tmp/figures")
    gallery.add_argument("--examples", metavar="DIR",
                         help="problem files to solve and check into OUT/worksheets (default: the bundled examples), "
                              "e.g. --examples my_problems/")

    examples = command("examples", "list the bundled problem files, one name a line, or copy them into a directory",
                       "symdl examples", "symdl solve sigmoid_neuron", "symdl examples --copy my_examples/",
                       more="; a name works wherever a problem FILE is expected (a real file of that name wins)")
    examples.add_argument("--copy", metavar="DIR",
                          help="copy every bundled problem file into DIR (created if its parent exists; nothing is "
                               "overwritten: one existing file and nothing is copied), e.g. --copy my_examples/")

    completion = command("completion", "print a shell completion script for symdl",
                         "symdl completion bash > ~/.local/share/bash-completion/completions/symdl",
                         "symdl completion zsh > ~/.zfunc/_symdl")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell, e.g. bash")
    return parser


# --- shell completion ------------------------------------------------------------------------------
def _problem_file(action: argparse.Action) -> None:
    """Mark a FILE that may also be a bundled example's name, so that completion offers both."""
    action.problem_file = True


def _problem_completion(names: Sequence[str]) -> dict:
    """shtab's ``complete`` for a problem FILE: the shell's files, then the bundled examples' names
    (fixed for an installed symdl, so they are written into the script). tcsh completes files only."""
    words = " ".join(names)
    function = "_shtab_symdl_compgen_problem_files"  # "_file" in its name: bash then marks a directory with /
    return {"bash": function, "zsh": function, "tcsh": "f",
            "preamble": {"bash": f'{function}() {{\n  compgen -f -- "$1"\n  compgen -W "{words}" -- "$1"\n}}\n',
                         "zsh": f"{function}() {{\n  _alternative 'files:file:_files' "
                                f"'examples:bundled example:({words})'\n}}\n"}}


def completion_script(shell: str) -> str:
    """The script that completes ``symdl`` in ``shell``: commands, options, choices, a FILE as a file
    (a problem FILE also as a bundled example's name) and a DIR as a directory."""
    import shtab  # only `symdl completion` needs it
    parser = build_parser()
    problem = _problem_completion(sorted(bundled.names()))  # a shell offers names alphabetically
    hints = {"FILE": shtab.FILE, "DIR": shtab.DIRECTORY}
    for command in subcommands(parser).values():
        for action in command._actions:
            if getattr(action, "problem_file", False):
                action.complete = problem
            elif action.metavar in hints:
                action.complete = hints[action.metavar]
    return shtab.complete(parser, shell=shell)
