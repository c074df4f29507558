"""Numbers as a student writes them: equal to the digits written, truncated instead of rounded,
a flipped sign or a decimal-point slip.

A claim of 0.66 means "0.66 to two places", so it agrees with anything within 0.005;
the grader (:mod:`symdl.worksheet.grading`) and the notes auditor (:mod:`symdl.audit`)
both judge numbers this way.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np



def arithmetic_slip(claimed: np.ndarray, value: np.ndarray, decimals: np.ndarray) -> str:
    """What turns ``value`` into ``claimed`` (written to ``decimals`` places): a flipped sign, a
    truncation instead of rounding (or both), a decimal-point slip; "" when none does."""
    kind = next((k for k in ARITHMETIC_SLIPS if k.fits(claimed, value, decimals)), None)
    return kind.text(value, decimals) if kind else ""


@dataclasses.dataclass(frozen=True)
class ArithmeticSlip:
    """One way a number is miswritten: whether it turns ``value`` into ``claimed`` in every entry,
    and what to call it (with the numbers it concerns)."""
    name: str
    fits: Callable[[np.ndarray, np.ndarray, np.ndarray], bool]
    text: Callable[[np.ndarray, np.ndarray], str]


def _decimal_point(power: int) -> ArithmeticSlip:
    return ArithmeticSlip(f"decimal point {power}",
                          lambda c, r, d: bool(np.all(c != 0) and np.all(agree(c, r * 10.0 ** power))),
                          lambda r, d: f"off by a factor of {10.0 ** power:g} (a decimal-point slip)")


ARITHMETIC_SLIPS = (
    ArithmeticSlip("sign", lambda c, r, d: bool(np.all(c != 0) and np.all(agree(c, -r))),
                   lambda r, d: "the sign is flipped"),
    ArithmeticSlip("truncated", lambda c, r, d: truncated(c, r, d), lambda r, d: truncation_remark(r, d)),
    ArithmeticSlip("sign and truncated", lambda c, r, d: truncated(c, -r, d),
                   lambda r, d: f"the sign is flipped, and the digits {truncation_remark(r, d)}"),
    *(_decimal_point(power) for power in (1, 2, 3, -1, -2, -3)),
)


def truncated(claimed: np.ndarray, value: np.ndarray, decimals) -> bool:
    """Every entry of the claim is ``value`` cut off after the digits written, and rounding would
    have given another number (else the claim is simply right); an infinity is never truncated."""
    c, r = np.atleast_1d(claimed), np.atleast_1d(value)
    return bool(np.all(np.isfinite(c) & np.isfinite(r)) and np.all(truncates(c, r, np.atleast_1d(decimals))) and not np.allclose(rounded(r, decimals), c))


def rounded(value: np.ndarray, decimals) -> np.ndarray:
    """``value`` rounded to ``decimals`` places (entry by entry)."""
    scale = 10.0 ** np.asarray(decimals, dtype=float)
    return np.round(np.asarray(value, dtype=float) * scale) / scale


def truncation_remark(value: np.ndarray, decimals) -> str:
    """"truncated, not rounded: 0.834", the number as it rounds to the digits written."""
    shown = [written_as(v, d) for v, d in np.broadcast(np.atleast_1d(value), np.atleast_1d(decimals))]
    return f"truncated, not rounded: {shown[0] if len(shown) == 1 else '[' + ', '.join(shown) + ']'}"


def written_as(value: float, decimals) -> str:
    """``value`` rounded and written to ``decimals`` places, trailing zeros kept (0.198 → 0.20)."""
    places = max(0, int(decimals))
    return f"{float(rounded(value, places)) + 0.0:.{places}f}"  # + 0.0: no "-0.00"


def truncates(claimed: np.ndarray, value: np.ndarray, tolerance) -> np.ndarray:
    """Entry by entry: the claim is ``value`` cut off (not rounded) after the digits written."""
    decimals = tolerance if isinstance(tolerance, np.ndarray) else _inferred(claimed)
    scale = 10.0 ** decimals.astype(float)
    with np.errstate(invalid="ignore"):
        return np.abs(np.trunc(value * scale) / scale - claimed) <= 1e-12 * np.maximum(1.0, np.abs(claimed))


def decimals_of(x: float) -> int:
    """Digits after the decimal point in the shortest form of ``x`` (0.66 → 2, 155.0 → 0, 1e-05 → 5)."""
    text = repr(float(x))
    mantissa, _, exponent = text.partition("e")
    places = len(mantissa.split(".")[1].rstrip("0")) if "." in mantissa else 0
    return max(0, places - int(exponent or 0))


def agree(claimed, truth, tolerance=None, spread=0.0) -> np.ndarray:
    """Entry by entry: equal to the digits written (half a unit in the last place), or within the
    relative tolerance, widened by ``spread``, the rounding carried in from earlier numbers; an
    infinity agrees with the same infinity (a masked score). ``tolerance`` is None (decimals inferred from the numbers), a float (relative) or an integer
    array (the decimals written)."""
    claimed, truth = np.asarray(claimed, dtype=float), np.asarray(truth, dtype=float)
    if tolerance is None:
        half_unit = np.vectorize(lambda x: 0.5 * 10.0 ** -decimals_of(x), otypes=[float])(claimed)
    elif isinstance(tolerance, np.ndarray):
        half_unit = 0.5 * 10.0 ** -tolerance.astype(float)
    else:
        half_unit = tolerance * np.abs(truth)
    bound = half_unit + spread + 1e-12 * np.maximum(1.0, np.abs(truth))
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(truth), claimed == truth, np.abs(claimed - truth) <= bound)  # −∞ only as −∞


def _inferred(claimed) -> np.ndarray:
    """The decimals of each number, for a claim whose file gave none."""
    return np.vectorize(decimals_of, otypes=[int])(np.asarray(claimed, dtype=float))
