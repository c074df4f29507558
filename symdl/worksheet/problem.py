"""Problem files: TOML that says what to build, where to evaluate it, and what a student claimed.

A file has a title, exactly one of three tables that says what to build, and
optional ``[claims]``, ``[report]`` and ``[variants]`` tables::

    title = "f = x + y z"
    [graph]                        # a scalar computational graph
    steps = "q = y*z; f = x + q"   # or expression = "..."
    at = { x = -2, y = 5, z = -4 }
    [claims]                       # what the student wrote, by quantity name
    "df/dx" = 0

``[network]`` builds a tensor network op by op (any op of the tensor registry or
a unary scalar op applied element-wise); ``[derivative]`` asks for d/dx of an
expression. Every error names the file, the line and the key, and nothing in a
problem file is ever evaluated as code: expressions go through symdl's parser.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any, Optional

import numpy as np

from symdl.errors import SymdlError
from symdl.files import read_input
from symdl.parsing import parse_names
from symdl.worksheet.locations import location

KINDS = ("graph", "network", "derivative")
MAX_FILE_BYTES = 1_000_000
MAX_ARRAY_ELEMENTS = 10_000
MAX_CLAIMS = 1_000
MAX_DIMENSIONS = 32  # nesting of a claim's lists (NumPy allows 64)

_TOP_KEYS = {"title", "source", "course", "gradients", "notes", "tolerance", "claims", "report", "variants", *KINDS}
_KIND_KEYS = {
    "graph": {"expression", "steps", "at", "output", "granularity"},
    "network": {"inputs", "parameters", "constants", "ops", "output"},
    "derivative": {"expression", "wrt", "at"},
}
_OP_KEYS = {"name", "op", "inputs", "params"}
_REPORT_KEYS = {"quantities"}
_VARIANT_KEYS = {"vary", "low", "high", "decimals", "preactivation"}
_GRANULARITIES = ("gates", "ops", "fused")


class Written(float):
    """A float that remembers how many decimals it was written with: 0.10 has 2, 0.1 has 1."""

    decimals: int

    def __new__(cls, text: str) -> "Written":
        number = super().__new__(cls, text)
        mantissa, _, exponent = text.lower().replace("_", "").partition("e")
        places = len(mantissa.partition(".")[2])
        number.decimals = max(0, places - int(exponent or 0))
        return number


def _nesting(value) -> int:
    """How deep lists are nested in ``value`` (0 for a number), without recursion."""
    depth, level = 0, [value]
    while any(isinstance(v, list) for v in level):
        level = [item for v in level if isinstance(v, list) for item in v]
        depth += 1
    return depth


def decimals_written(value) -> np.ndarray:
    """Decimals of each number as written in the file (0 for an integer), in the array's shape."""
    if isinstance(value, list):
        return np.array([decimals_written(v) for v in value])
    return np.array(getattr(value, "decimals", 0))


class ProblemError(SymdlError):
    """A problem file that cannot be used: the message starts with ``file:line:``."""


@dataclasses.dataclass(frozen=True)
class Variants:
    """How ``symdl exercise`` draws fresh numbers: which leaves, from what range, rounded how."""

    vary: Optional[tuple[str, ...]]  # None: every input (and parameter) of the problem
    low: float = -5.0
    high: float = 5.0
    decimals: int = 0
    # the largest |argument| of a function gate (σ, tanh, exp …): keeps draws out of saturation,
    # where every gradient is ~1e-4 and a student learns nothing; None: no bound
    preactivation: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class Problem:
    """A validated problem file. ``spec`` is the table of its kind, already checked."""

    path: str
    title: str
    kind: str
    spec: dict
    claims: dict[str, Any]
    tolerance: Optional[float] = None  # relative; None means "to the digits the student wrote"
    decimals: Optional[dict[str, np.ndarray]] = None  # per claim, the decimals written (None: infer from value)
    report: Optional[tuple[str, ...]] = None
    variants: Variants = Variants(None)
    source: str = ""
    course: Optional[int] = None  # the problem's place in the course, for listing the bundled examples
    gradients: bool = True  # False: a size or count calculation, worked and graded by its values only
    notes: str = ""
    text: str = ""  # the file's text, for error locations

    def error(self, message: str, *path: str) -> ProblemError:
        return ProblemError(f"{location(self.path, self.text, path)}{message}")


def load(path: str | Path) -> Problem:
    """Read and validate a problem file."""
    path = Path(path)
    try:
        raw = read_input(path, MAX_FILE_BYTES)
    except OSError as error:
        raise ProblemError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ProblemError(f"{path}: it is larger than a problem file may be ({MAX_FILE_BYTES} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProblemError(f"{path}: not UTF-8 text (byte {error.start})") from None
    return loads(text, str(path))


def loads(text: str, path: str = "<problem>") -> Problem:
    """Validate the text of a problem file; ``path`` is used in messages only."""
    try:
        data = tomllib.loads(text, parse_float=Written)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError(f"{path}: not valid TOML: {error}") from None
    return _Validator(path, text).problem(data)


class _Validator:
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, message: str, *key: str) -> ProblemError:
        return ProblemError(f"{location(self.path, self.text, key)}{message}")

    def problem(self, data: dict) -> Problem:
        self.keys(data, _TOP_KEYS, ())
        kinds = [k for k in KINDS if k in data]
        if len(kinds) != 1:
            found = ", ".join(f"[{k}]" for k in kinds) or "none"
            raise self.fail(f"a problem needs exactly one of [graph], [network], [derivative]; found {found}")
        kind = kinds[0]
        spec = self.table(data, kind, ())
        self.keys(spec, _KIND_KEYS[kind], (kind,))
        getattr(self, kind)(spec)
        return Problem(
            path=self.path, text=self.text, kind=kind, spec=spec,
            title=self.string(data, "title", (), required=True),
            source=self.string(data, "source", ()), course=self.course(data),
            gradients=self.gradients(data), notes=self.string(data, "notes", ()),
            tolerance=self.tolerance(data), decimals=self.decimals(data), claims=self.claims(data),
            report=self.report(data), variants=self.variants(data),
        )

    # --- the three kinds ------------------------------------------------------------------------
    def graph(self, spec: dict) -> None:
        given = [k for k in ("expression", "steps") if k in spec]
        if len(given) != 1:
            raise self.fail("[graph] needs exactly one of 'expression' and 'steps'", "graph")
        source = spec[given[0]]
        if isinstance(source, list) and given[0] == "steps":
            if not all(isinstance(s, str) for s in source):
                raise self.fail("'steps' must be a string or a list of strings", "graph", "steps")
            spec["steps"] = "; ".join(source)
        else:
            self.string(spec, given[0], ("graph",), required=True)
        spec["at"] = self.point(spec, ("graph",))
        self.string(spec, "output", ("graph",))
        granularity = spec.setdefault("granularity", "gates")
        if granularity not in _GRANULARITIES:
            raise self.fail(f"'granularity' must be one of {', '.join(_GRANULARITIES)}, not {granularity!r}",
                            "graph", "granularity")

    def network(self, spec: dict) -> None:
        names: set[str] = set()
        for group in ("inputs", "parameters", "constants"):
            table = self.table(spec, group, ("network",), required=False)
            for name, value in table.items():
                self.name(name, ("network", group, name))
                table[name] = self.array(value, ("network", group, name))
                names.add(name)
        if not names:
            raise self.fail("[network] needs at least one of 'inputs', 'parameters', 'constants'", "network")
        ops = spec.get("ops")
        if not isinstance(ops, list) or not ops or not all(isinstance(op, dict) for op in ops):
            raise self.fail("[network] needs 'ops': a list of [[network.ops]] tables", "network", "ops")
        for position, op in enumerate(ops):
            where = ("network", "ops", str(position))
            self.keys(op, _OP_KEYS, where)
            for key in ("name", "op"):
                self.string(op, key, where, required=True)
            self.name(op["name"], where + ("name",))
            if op["name"] in names:
                raise self.fail(f"the name {op['name']!r} is used twice", *where, "name")
            inputs = op.get("inputs")
            if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
                raise self.fail("'inputs' must be a non-empty list of node names", *where, "inputs")
            unknown = [i for i in inputs if i not in names]
            if unknown:
                raise self.fail(f"op {op['name']!r} uses {', '.join(map(repr, unknown))}, not defined before it",
                                *where, "inputs")
            op["params"] = self.params(self.table(op, "params", where, required=False), where)
            names.add(op["name"])
        output = self.string(spec, "output", ("network",))
        if output and output not in names:
            raise self.fail(f"no node named {output!r}", "network", "output")

    def derivative(self, spec: dict) -> None:
        self.string(spec, "expression", ("derivative",), required=True)
        self.name(self.string(spec, "wrt", ("derivative",), required=True), ("derivative", "wrt"))
        if "at" in spec:
            spec["at"] = self.point(spec, ("derivative",))

    # --- optional tables ----------------------------------------------------------------------
    def claims(self, data: dict) -> dict[str, Any]:
        claims = self.table(data, "claims", (), required=False)
        if len(claims) > MAX_CLAIMS:
            raise self.fail(f"{len(claims)} claims; at most {MAX_CLAIMS}", "claims")
        for key, value in claims.items():
            if isinstance(value, str):
                continue  # a formula, checked when graded
            claims[key] = self.array(value, ("claims", key), infinite=True)
        return claims

    def decimals(self, data: dict) -> dict[str, np.ndarray]:
        """How precisely each numeric claim was written, read before the claims become arrays."""
        claims = data.get("claims")
        if not isinstance(claims, dict):
            return {}
        return {key: decimals_written(value) for key, value in claims.items()
                if not isinstance(value, str) and _all_leaves(value) and _nesting(value) <= MAX_DIMENSIONS}

    def course(self, data: dict) -> Optional[int]:
        """Where the course meets the problem (the bundled examples are listed by it)."""
        value = data.get("course")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise self.fail("'course' is the problem's place in the course: a whole number, 0 or more", "course")
        return value

    def gradients(self, data: dict) -> bool:
        """False for a calculation with no gradient to ask for (a layer's output size, a parameter count)."""
        value = data.get("gradients", True)
        if not isinstance(value, bool):
            raise self.fail("'gradients' is true or false: false for a size or count calculation", "gradients")
        return value

    def tolerance(self, data: dict) -> Optional[float]:
        if "tolerance" not in data:
            return None
        value = data["tolerance"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise self.fail("'tolerance' is a relative tolerance: a number in [0, 1)", "tolerance")
        return float(value)

    def report(self, data: dict) -> Optional[tuple[str, ...]]:
        table = self.table(data, "report", (), required=False)
        if not table:
            return None
        self.keys(table, _REPORT_KEYS, ("report",))
        quantities = table.get("quantities")
        if not isinstance(quantities, list) or not all(isinstance(q, str) for q in quantities):
            raise self.fail("'quantities' must be a list of quantity names", "report", "quantities")
        return tuple(quantities)

    def variants(self, data: dict) -> Variants:
        table = self.table(data, "variants", (), required=False)
        self.keys(table, _VARIANT_KEYS, ("variants",))
        vary = table.get("vary")
        if vary is not None and (not isinstance(vary, list) or not all(isinstance(v, str) for v in vary)):
            raise self.fail("'vary' must be a list of input names", "variants", "vary")
        numbers = {}
        for key, default in (("low", -5.0), ("high", 5.0), ("decimals", 0)):
            value = table.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"'{key}' must be a number", "variants", key)
            numbers[key] = value
        if not numbers["low"] < numbers["high"]:
            raise self.fail("'low' must be less than 'high'", "variants")
        if not (isinstance(numbers["decimals"], int) and 0 <= numbers["decimals"] <= 6):
            raise self.fail("'decimals' must be an integer from 0 to 6", "variants", "decimals")
        bound = table.get("preactivation")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float)) or not 0 < bound < 1e6):
            raise self.fail("'preactivation' must be a positive number (the largest |argument| of σ, tanh, exp …)",
                            "variants", "preactivation")
        return Variants(tuple(vary) if vary is not None else None, float(numbers["low"]), float(numbers["high"]),
                        numbers["decimals"], None if bound is None else float(bound))

    # --- pieces -------------------------------------------------------------------------------
    def keys(self, table: dict, allowed: set[str], where: tuple[str, ...]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}",
                            *where, unknown[0])

    def table(self, data: dict, key: str, where: tuple[str, ...], required: bool = True) -> dict:
        if key not in data:
            if required:
                raise self.fail(f"missing table [{'.'.join(where + (key,))}]", *where)
            return {}
        if not isinstance(data[key], dict):
            raise self.fail(f"'{key}' must be a table", *where, key)
        return data[key]

    def string(self, data: dict, key: str, where: tuple[str, ...], required: bool = False) -> str:
        if key not in data:
            if required:
                raise self.fail(f"missing key '{key}'", *where)
            return ""
        if not isinstance(data[key], str) or not data[key].strip():
            raise self.fail(f"'{key}' must be a non-empty string", *where, key)
        return data[key]

    def name(self, name: str, where: tuple[str, ...]) -> None:
        try:
            parse_names(name)
        except SymdlError as error:
            raise self.fail(f"{name!r} is not a valid name: {error}", *where) from None
        if "," in name:
            raise self.fail(f"{name!r} is not a single name", *where)

    def point(self, spec: dict, where: tuple[str, ...]) -> dict[str, float]:
        point = self.table(spec, "at", where)
        for name, value in point.items():
            self.name(name, where + ("at", name))
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise self.fail(f"the value of {name!r} must be a finite number", *where, "at", name)
        return point

    def array(self, value, where: tuple[str, ...], dtype: type = float, infinite: bool = False) -> np.ndarray:
        """A number or a rectangular nested list of numbers, as a float array (of booleans: a mask);
        ``infinite`` lets ±inf through (a claimed masked score), never nan."""
        if not _all_leaves(value, boolean=dtype is bool):
            raise self.fail(f"expected a number or a (nested) list of {'booleans' if dtype is bool else 'numbers'}",
                            *where)
        if _nesting(value) > MAX_DIMENSIONS:
            raise self.fail(f"lists nested {_nesting(value)} deep; an array has at most {MAX_DIMENSIONS} dimensions",
                            *where)
        try:
            array = np.array(value, dtype=dtype)
        except ValueError:
            raise self.fail("rows of different lengths: the array is not rectangular", *where) from None
        if array.size > MAX_ARRAY_ELEMENTS:
            raise self.fail(f"{array.size} elements; at most {MAX_ARRAY_ELEMENTS}", *where)
        if not np.all(np.isfinite(array) | (infinite & np.isinf(array))):
            raise self.fail("numbers must be finite" + (" or ±inf" if infinite else ""), *where)
        return array

    def params(self, params: dict, where: tuple[str, ...]) -> dict:
        """Op parameters: numbers, strings, or lists of numbers or of booleans (a mask); a list becomes a
        tuple, as shapes are, and a list of booleans a boolean array."""
        for key, value in params.items():
            if not re.fullmatch(r"[a-z_]{1,32}", key):
                raise self.fail(f"{key!r} is not a parameter name", *where, "params", key)
            if isinstance(value, list) and _all_leaves(value, boolean=True):
                params[key] = self.array(value, where + ("params", key), dtype=bool)
            elif isinstance(value, list):
                if not _all_leaves(value):
                    raise self.fail("a list parameter must hold numbers, or booleans (a mask)", *where, "params", key)
                params[key] = _tuples(value)
            elif not isinstance(value, (int, float, str)):
                raise self.fail("a parameter must be a number, a string or a list", *where, "params", key)
        return params


def _all_leaves(value, boolean: bool = False) -> bool:
    """Whether ``value`` is a number (a boolean) or a non-empty nested list of them."""
    if isinstance(value, list):
        return bool(value) and all(_all_leaves(v, boolean) for v in value)
    return isinstance(value, bool) if boolean else isinstance(value, (int, float)) and not isinstance(value, bool)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
