"""Numbers as a student writes them: equal to the digits written, truncated instead of rounded,
a flipped sign or a decimal-point slip.

A claim of 0.66 means "0.66 to two places", so it agrees with anything within 0.005;
the grader (:mod:`symdl.worksheet.grading`) and the notes auditor (:mod:`symdl.audit`)
both judge numbers this way.
"""

from __future__ import annotations

import numpy as np

from symdl.printing.values import show_ascii


def arithmetic_slip(claimed: np.ndarray, value: np.ndarray, decimals: np.ndarray) -> str:
    """What turns ``value`` into ``claimed`` (written to ``decimals`` places): a flipped sign, a
    truncation instead of rounding (or both), a decimal-point slip; "" when none does."""
    c, r = np.atleast_1d(claimed), np.atleast_1d(value)
    scale = 10.0 ** np.atleast_1d(decimals)
    for sign, prefix in ((1, ""), (-1, "the sign is flipped, and ")):
        if sign == -1 and np.all(c != 0) and np.all(agree(c, -r)):
            return "the sign is flipped"
        rounded = np.round(sign * r * scale) / scale
        if np.all(truncates(c, sign * r, np.atleast_1d(decimals))) and not np.allclose(rounded, c):
            return (f"{prefix}{show_ascii(sign * r if r.size > 1 else sign * r[0])} was truncated to "
                    f"{show_ascii(c if c.size > 1 else c[0])}, not rounded (to the digits written it is "
                    f"{show_ascii(rounded if rounded.size > 1 else rounded[0])})")
    for power in (1, 2, 3, -1, -2, -3):
        if np.all(c != 0) and np.all(agree(c, r * 10.0 ** power)):
            return f"off by a factor of {10.0 ** power:g} (a decimal-point slip)"
    return ""


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
