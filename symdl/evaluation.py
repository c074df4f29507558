"""Backprop's numbers at a point: to 15 significant digits, or a refusal that names the node.

The inputs are exact rationals. One pass computes every node value, local gradient and global
gradient in SymPy floats (mpmath) at a working precision; passes are repeated at double the
precision until two in a row agree on every number to about 16 significant digits, so
cancellation (``(exp(x)-1)/x`` at 1e-40, ``x - sqrt(x^2-1)`` at 1e20) and huge arguments
(``sin`` at 1e300) come out right instead of silently wrong. Two numbers that are both zero to
the working precision of what they were computed from, and shrinking with it (``sin(pi*x)`` at 1),
agree too, and are reported as 0; a node
that still changes while its operands agree is either divided by such a zero (a pole) or
ill-conditioned, and is refused with its name, as is a division by an exact zero (0/0).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, NamedTuple, Optional

import mpmath
import networkx as nx
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.errors import LimitError, SymdlError
from symdl.limits import LIMITS

START_DIGITS = 30  # the first pass's working precision, in decimal digits
AGREE_BITS = 54  # two passes agree when they differ by less than 2^-54 ≈ 5.6e-17 of the larger
NOISE_DIGITS = 10  # at d digits, a number below 10^-(d-10) of its operands is zero to that precision
_BITS_PER_DIGIT = math.log2(10)


class Quantity(NamedTuple):
    """One reported number of a pass: its value, the size (log2) of what it was computed from,
    and the nodes whose values it was computed from."""

    value: sp.Float
    scale: Optional[int]
    operands: tuple[str, ...]


Key = tuple  # ("value", node) | ("local", u, v) | ("grad", node)


@dataclasses.dataclass
class Pass:
    """Every number of one pass at ``digits`` digits, in the order they were computed."""

    digits: int
    quantities: dict[Key, Quantity]

    def value(self, key: Key) -> sp.Float:
        return self.quantities[key].value

    def negligible(self, key: Key) -> bool:
        return _negligible(self.quantities[key], self.digits)


class _Undefined(Exception):
    """A pass hit 1/0, log(0), 0/0 or a complex number; ``zeros`` are the operands that were 0."""

    def __init__(self, key: Key, reason: str, zeros: tuple[str, ...], retry: bool):
        super().__init__(reason)
        self.key, self.reason, self.zeros, self.retry = key, reason, zeros, retry


def evaluate(graph: nx.DiGraph, output: str, point: Mapping[str, sp.Rational]) -> Pass:
    """The first pass that agrees with the pass before it; refuses poles, 0/0, complex values
    and points where no precision up to ``max_working_digits`` settles."""
    order = graphs.topological_order(graph)
    relevant = nx.ancestors(graph, output) | {output}
    digits = min(max(START_DIGITS, 2 * max(map(_digits, point.values()), default=0) + 15),
                 max(START_DIGITS, LIMITS.max_working_digits // 2))
    previous: Optional[Pass] = None
    suspects: dict[Key, int] = {}  # pole candidates: a node that changed while an operand was zero
    failed: Optional[Key] = None
    while True:
        try:
            current = _pass(graph, order, relevant, output, point, digits)
        except _Undefined as undefined:
            if not undefined.retry or undefined.key == failed or 2 * digits > LIMITS.max_working_digits:
                raise SymdlError(_undefined_message(graph, output, undefined)) from None
            failed, previous = undefined.key, None
        else:
            failed = None
            if previous is not None:
                changed = _first_change(previous, current)
                if changed is None:
                    return _noise_as_zero(previous, current)
                zeros = _zero_operands(previous, current, changed)
                if zeros:
                    suspects[changed] = suspects.get(changed, 0) + 1
                    if suspects[changed] >= 2:
                        raise SymdlError(f"{label(graph, output, changed)} has a pole at this point: "
                                         + ", ".join(f"{z} = 0 to {current.digits - NOISE_DIGITS} digits"
                                                     for z in zeros))
                if 2 * digits > LIMITS.max_working_digits:
                    raise LimitError(f"ill-conditioned at this point: {label(graph, output, changed)} changes "
                                     f"from {_short(previous.value(changed))} to {_short(current.value(changed))} "
                                     f"between {previous.digits} and {digits} digits; the working precision",
                                     2 * digits, "max_working_digits", LIMITS.max_working_digits)
            previous = current
        digits *= 2


def label(graph: nx.DiGraph, output: str, key: Key) -> str:
    """How messages name a reported number: ``q = x + y``, ``∂f/∂q = z``, ``∂f/∂q``."""
    if key[0] == "value":
        data = graph.nodes[key[1]]
        if data["kind"] == "op":
            return f"{key[1]} = {data['expr']}"
        return key[1] if data["kind"] == "input" else f"the constant {key[1]}"
    if key[0] == "local":
        return f"∂{key[2]}/∂{key[1]} = {graph.edges[key[1], key[2]]['local']}"
    return f"∂{output}/∂{key[1]}"


def _pass(graph: nx.DiGraph, order: list[str], relevant: set[str], output: str,
          point: Mapping[str, sp.Rational], digits: int) -> Pass:
    quantities: dict[Key, Quantity] = {}
    values: dict[sp.Symbol, sp.Float] = {}
    for node in order:
        data = graph.nodes[node]
        if data["kind"] == "input":
            value, operands = sp.Float(point[node], digits), ()
        elif data["kind"] == "constant":
            value, operands = _real(("value", node), lambda: data["symbol"], (), quantities, digits), ()
        else:
            operands = tuple(data["inputs"])
            given = tuple(quantities["value", i].value for i in operands)
            value = _real(("value", node), lambda: ops.get(data["op"]).forward(given, data["const"]),
                          operands, quantities, digits)
        quantities["value", node] = Quantity(_bounded(value, graph, output, ("value", node)),
                                             _scale(quantities, operands), operands)
        values[data["symbol"]] = value
    symbol_nodes = {data["symbol"]: node for node, data in graph.nodes(data=True)}
    for u, v, data in graph.edges(data=True):
        operands = tuple(symbol_nodes[s] for s in data["local"].free_symbols if s in symbol_nodes)
        local = _real(("local", u, v), lambda: data["local"].xreplace(values), operands, quantities, digits)
        quantities["local", u, v] = Quantity(_bounded(local, graph, output, ("local", u, v)),
                                             _scale(quantities, operands), operands)
    quantities["grad", output] = Quantity(sp.Float(1, digits), None, ())
    for node in reversed([n for n in order if n in relevant and n != output]):
        contributions = [_bounded(quantities["local", node, child].value * quantities["grad", child].value,
                                  graph, output, ("grad", child))
                         for child in graph.successors(node) if child in relevant]
        grad = sp.Float(sp.Add(*contributions), digits)
        sizes = [m for m in map(_magnitude, contributions) if m is not None]
        quantities["grad", node] = Quantity(_bounded(grad, graph, output, ("grad", node)),
                                            max(sizes, default=None), ())
    return Pass(digits, quantities)


def _real(key: Key, compute: Callable[[], sp.Expr], operands: tuple[str, ...], quantities: dict[Key, Quantity], digits: int) -> sp.Float:
    """``compute()`` (or a number) evaluated at ``digits``: a finite real, else :class:`_Undefined`.
    It is worth retrying at a higher precision only when an operand was zero to this one."""
    zeros = tuple(n for n in operands if _magnitude(quantities["value", n].value) is None)
    negligible = any(_negligible(quantities["value", n], digits) for n in operands)
    exact_zero = bool(zeros) and all(not quantities["value", n].operands for n in zeros)  # a 0 given as input
    retry = negligible and not exact_zero
    try:
        number = sp.N(compute(), digits)
    except ZeroDivisionError:
        raise _Undefined(key, "undefined", zeros, retry) from None
    except (TypeError, ValueError) as error:  # e.g. a constant SymPy cannot make a real float of
        raise _Undefined(key, f"not a real number at this point ({error})", zeros, False) from None
    if number.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise _Undefined(key, "undefined", zeros, retry)
    if not number.is_number or not number.is_real:
        raise _Undefined(key, f"not a real number at this point (got {sp.N(number, 6)})", zeros, negligible)
    return sp.Float(number, digits)


def _undefined_message(graph: nx.DiGraph, output: str, undefined: _Undefined) -> str:
    what = label(graph, output, undefined.key)
    if undefined.reason != "undefined":
        return f"{what} is {undefined.reason}"
    operands = graph.nodes[undefined.key[1]]["inputs"] if undefined.key[0] == "value" else ()
    zeros = ", ".join(f"{z} = 0" for z in undefined.zeros)
    if len(operands) > 1 and set(undefined.zeros) >= set(operands):
        return f"{what} is 0/0 at this point ({zeros})"
    if zeros:
        return f"{what} has a pole at this point ({zeros})"
    return f"{what} is undefined or infinite at this point"


def _first_change(previous: Pass, current: Pass) -> Optional[Key]:
    """The first number, in the order computed, on which two passes disagree."""
    for key, quantity in current.quantities.items():
        if not _agree(previous.value(key), quantity.value) and not _vanishing(previous, current, key):
            return key
    return None


def _noise_as_zero(previous: Pass, current: Pass) -> Pass:
    """``current``, with each number that is zero to both precisions but differs between them
    (rounding noise, as in sin(pi*x) at 1) set to 0."""
    for key, quantity in current.quantities.items():
        if not _agree(previous.value(key), quantity.value):  # so, by _first_change, vanishing
            current.quantities[key] = quantity._replace(value=sp.Float(0, current.digits))
    return current


def _zero_operands(previous: Pass, current: Pass, key: Key) -> tuple[str, ...]:
    """The operands of ``key`` that were zero to the working precision in both passes."""
    return tuple(n for n in current.quantities[key].operands if _vanishing(previous, current, ("value", n)))


def _vanishing(previous: Pass, current: Pass, key: Key) -> bool:
    """Zero, as far as precision can tell: zero to the working precision in both passes, and shrinking
    with it (sin(pi*x) at 1 is 1e-31 at 30 digits, 1e-61 at 60). Noise that does not shrink, such as
    sin(x) at 1e300 computed from a rounded x, is not zero but a number not yet known."""
    if not (previous.negligible(key) and current.negligible(key)):
        return False
    now, before = _magnitude(current.value(key)), _magnitude(previous.value(key))
    return now is None or (before is not None and now <= before - previous.digits / 2 * _BITS_PER_DIGIT)


def _agree(a: sp.Float, b: sp.Float) -> bool:
    difference = _magnitude(a - b)
    if difference is None:
        return True
    larger = max(m for m in (_magnitude(a), _magnitude(b)) if m is not None)
    return difference <= larger - AGREE_BITS


def _scale(quantities: dict[Key, Quantity], operands: tuple[str, ...]) -> Optional[int]:
    sizes = [m for m in (_magnitude(quantities["value", n].value) for n in operands) if m is not None]
    return max(sizes, default=None)


def _negligible(quantity: Quantity, digits: int) -> bool:
    """Zero to ``digits`` digits: 0, or below 10^-(digits-10) of the numbers it was computed from."""
    size = _magnitude(quantity.value)
    if size is None:
        return True
    return quantity.scale is not None and size <= quantity.scale - (digits - NOISE_DIGITS) * _BITS_PER_DIGIT


def _magnitude(number: sp.Expr) -> Optional[int]:
    """log2|number| within one, read off the binary exponent (None for zero): instant at any size."""
    _, mantissa, exponent, bits = getattr(number, "_mpf_", None) or sp.Float(number, START_DIGITS)._mpf_
    return exponent + bits if mantissa else None


def _digits(value: sp.Rational) -> float:
    """Decimal digits of a rational's numerator and denominator: the precision it needs to be exact."""
    return sum(math.log10(abs(n)) + 1 for n in (value.p, value.q) if n)


def _bounded(number: sp.Float, graph: nx.DiGraph, output: str, key: Key) -> sp.Float:
    """``number``, if its decimal exponent is within ±max_magnitude: a bomb guard (each op's operands
    are then cheap to compute with), not a float64 range: 3**(3**27) ≈ 10^(3.6e12) is one float,
    refused, and the tower's next power, whose exponent would need trillions of digits, never starts."""
    size = _magnitude(number)
    # log2(10) as an integer ratio: a float product overflows for --limit max_magnitude=1e400, a float quotient for a huge size
    if size is not None and abs(size) - 1 > LIMITS.max_magnitude * 33219280948873623 // 10 ** 16:
        raise LimitError(f"the decimal order of magnitude of {label(graph, output, key)}", _order(number),
                         "max_magnitude", LIMITS.max_magnitude)
    return number


def _order(number: sp.Float) -> str:
    """⌊log10|number|⌋ (1e400 is of order 400, not 399.99…), or about 4.08e+9564 when it is too long
    to write out; read off the binary exponent at 64 bits, never by printing the number."""
    with mpmath.workprec(64):
        order = mpmath.floor(mpmath.log10(abs(mpmath.mpf(number._mpf_))))
        return str(int(order)) if abs(order) < 10**15 else f"about {mpmath.nstr(order, 3)}"


def _short(number: sp.Float) -> str:
    return str(sp.Float(number, 6))
