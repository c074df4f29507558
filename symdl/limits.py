"""Bounds on the work one input may cause, so no expression can hang symdl.

Every limit is documented here, checked where the work happens, and adjustable
with :func:`configure` (``symdl.configure_limits``), ``--limit NAME=VALUE`` on the
command line, or the ``limited`` context manager in tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from typing import Any, Iterator

from symdl.errors import LimitError, SymdlError


@dataclasses.dataclass
class Limits:
    max_text_length: int = 20_000  # characters of expression text
    max_name_length: int = 64  # characters in one identifier
    max_number_length: int = 100  # characters in one numeric literal
    max_depth: int = 200  # nesting of parentheses / function calls / operators
    max_exponent: int = 1_000  # |n| of a numeric exponent x**n
    max_literal_digits: int = 1_000  # digits of a number folded from constants, e.g. 9**9
    max_nodes: int = 20_000  # nodes in one computational graph
    # arguments of one n-ary call (max, min), nested calls counted together as SymPy flattens them: SymPy's Max/Min compare every pair of arguments, and each
    # input's gradient is Heaviside(x_i - Max(the others)), so the cost grows with the cube of the count
    # (10 arguments: a kernel in 0.7 s; 20: 11 s; 1000: hours)
    max_arguments: int = 10
    # decimal exponent of any number in backprop's numeric passes (values, local and global gradients):
    # 10**-10000 <= |v| <= 10**10000. A bomb guard, not a float64 range (log(1 + exp(900)) passes through
    # 1e391): it stops a tower such as x**x**x**x**x at 3 one step before its next exponent would need
    # trillions of digits, and keeps each op cheap (exp of a number near 10**10000 takes 0.02 s in
    # mpmath; near 10**100000, 1.5 s)
    max_magnitude: int = 10_000
    # working precision, in decimal digits, backprop may double up to while two passes disagree
    max_working_digits: int = 4_000
    # nodes of one derivation written out (every step's sides, a repeated subexpression counted each time it
    # is written), counted as the steps are made: 20 000 nodes are 100-130 KB of text, which the text
    # printer takes about a second to write; tanh nested 190 deep would need 1.2 million (8 MB of text)
    max_derivation_nodes: int = 20_000
    max_tensor_elements: int = 10_000_000  # entries of one array sized by the input (a padded image): 80 MB
    # quantities worked out for one exercise sheet (symdl exercise), counted as many a draw as the file's own
    # numbers give: a sheet whose count × that is over the limit is refused before its first draw, saying how
    # many variants fit, and the draws made again after a failed one (undefined, on a kink, saturated) are
    # counted against it too, as they are made. A quantity costs 0.5-4 ms of CPU here (the LSTM's 69 about
    # 1.3 ms each), so 3 000 is a few seconds of work: 43 LSTM variants; about 60 of the sigmoid neuron, over
    # half of whose draws are thrown away. Quantities, not their entries: an array is one NumPy call, so
    # masked attention's 3 435 numbers in 91 quantities cost less than the LSTM's 260
    max_exercise_work: int = 3_000
    # points × nodes of one gradient check (symdl gradcheck), every random candidate counted (4 per point
    # asked for): each is a few NumPy passes over the expression's nodes, 0.25-0.6 µs a node-point here, so
    # 10 million is a few seconds; refused before the kernel is compiled (3·10⁷ points of x*2 ran past 30 s)
    max_gradcheck_work: int = 10_000_000
    max_notes_bytes: int = 2_000_000  # bytes of one file of notes read by ``symdl audit``
    max_equations: int = 20_000  # sides of equalities in one file of notes (each is parsed once)


LIMITS = Limits()


class Budget:
    """Work counted against one limit as it is done, refused the moment it goes over: ``spent`` is how
    far the work got (a refusal names it, and tests read it instead of a clock)."""

    def __init__(self, what: str, limit_name: str):
        self.what, self.limit_name, self.spent = what, limit_name, 0

    def charge(self, amount: int = 1) -> None:
        self.spent += amount
        limit = getattr(LIMITS, self.limit_name)
        if self.spent > limit:
            raise LimitError(self.what, self.spent, self.limit_name, limit)


def check_elements(shape: tuple[int, ...], what: str, limit_name: str = "max_tensor_elements") -> None:
    """Refuse an array of ``shape`` before it is allocated (a 2×2 image padded by 15 000 would take 7 GB)."""
    count = math.prod(int(n) for n in shape)
    limit = getattr(LIMITS, limit_name)
    if count > limit:
        shown = "×".join(str(int(n)) for n in shape)
        raise LimitError(f"the number of entries of {what}, {shown},", count, limit_name, limit)


def written_size(expr: Any, sizes: dict[int, tuple[int, Any]]) -> int:
    """Nodes of ``expr`` written out as a tree, a repeated subexpression counted each time it is written,
    in time linear in its *distinct* subexpressions: ``sizes`` remembers them by id (keeping each alive,
    so an id is never reused) and is shared across calls. Iterative, so depth cannot hit Python's limit."""
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        if ready or not node.args:
            sizes[id(node)] = (1 + sum(sizes[id(a)][0] for a in node.args), node)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in sizes)
    return sizes[id(expr)][0]


_STACK_MARGIN = 500  # frames left for SymPy's own recursion at the deepest level
_MAX_STACK = 30_000  # never ask Python for more than this; deeper input fails as a LimitError


@contextlib.contextmanager
def deep_stack(frames_per_level: int) -> Iterator[None]:
    """Enough Python stack for max_depth levels of nesting at ``frames_per_level`` each, on top of however
    deep the caller already is; a RecursionError all the same (a deeper SymPy expression) is a LimitError."""
    saved = sys.getrecursionlimit()
    wanted = _stack_depth() + frames_per_level * LIMITS.max_depth + _STACK_MARGIN
    sys.setrecursionlimit(max(saved, min(wanted, _MAX_STACK)))
    try:
        yield
    except RecursionError:
        raise LimitError("the nesting depth", "more than Python's stack allows", "max_depth", LIMITS.max_depth) from None
    finally:
        sys.setrecursionlimit(saved)


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def configure(**changes: int) -> Limits:
    """Change limits for this process; unknown names and values that are not positive whole numbers
    are an error, not silently ignored."""
    for name, value in changes.items():
        if not hasattr(LIMITS, name):
            raise SymdlError(f"unknown limit {name!r}; known: {', '.join(vars(LIMITS))}")
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise SymdlError(f"the limit {name} must be a positive whole number, not {value}")
    for name, value in changes.items():
        setattr(LIMITS, name, int(value))
    return LIMITS


@contextlib.contextmanager
def limited(**changes: int) -> Iterator[Limits]:
    """Temporarily change limits (restored on exit)."""
    saved = dataclasses.replace(LIMITS)
    try:
        yield configure(**changes)
    finally:
        for field in dataclasses.fields(Limits):
            setattr(LIMITS, field.name, getattr(saved, field.name))
