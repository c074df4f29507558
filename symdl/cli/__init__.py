"""The ``symdl`` command: backprop, derive, kernel, gradcheck, worksheets, audit, gallery, the bundled
examples and completion. :mod:`symdl.cli.parser` builds the argparse parser, :mod:`symdl.cli.commands`
holds one handler per command, and :func:`main` runs one: the one place an error is printed.

Bad input of any kind is one line on stderr (``symdl COMMAND: …``) and exit status 2; nothing is
written. Anything unforeseen is one line too (``symdl: internal error: …``, exit 3), unless
``SYMDL_DEBUG=1`` asks for the traceback. ``-`` as EXPR or FILE reads stdin. The JSON of
``backprop``, ``derive`` and ``audit`` is a contract (README, "JSON output").

Only argparse runs before a command is chosen: ``symdl --help`` and ``--version`` import no
SymPy, NumPy, SciPy or networkx; each command imports what it uses.
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from symdl import terminal
from symdl.cli.commands import HANDLERS
from symdl.cli.parser import STDIN, UsageError, build_parser
from symdl.errors import SymdlError
from symdl.limits import limited

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it


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
        args = build_parser().parse_args(argv)
        prog = f"symdl {args.command}"
        with limited(**_limits(args.limit)):  # unknown names are refused; restored after the command
            _read_stdin_expression(args)  # bounded by the limits of this run: --limit max_text_length=… too
            status = HANDLERS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at exit
        return status
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error, as for ripgrep
        terminal.detach_stdout()
        return 0
    except UsageError as error:
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
