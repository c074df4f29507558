"""symdl: symbolic derivations for deep learning.

>>> import symdl
>>> result = symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4})
>>> result.value, result.gradients
(-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
>>> str(symdl.derive("tanh(x)", "x").result)
'1 - tanh(x)**2'

Every public name is imported when first used (PEP 562), so ``import symdl`` and
``symdl --help`` load no SymPy, NumPy, SciPy, networkx, printers or matplotlib.
"""

from __future__ import annotations

import importlib
import sys
import types

# public name → "module:attribute"
_EXPORTS = {
    "Backprop": "symdl.backprop:Backprop", "backprop": "symdl.backprop:backprop",
    "derive": "symdl.derive:derive", "Derivation": "symdl.derivation:Derivation", "Step": "symdl.derivation:Step",
    "LimitError": "symdl.errors:LimitError", "ParseError": "symdl.errors:ParseError",
    "SymdlError": "symdl.errors:SymdlError",
    "leaky_relu": "symdl.functions:leaky_relu", "relu": "symdl.functions:relu", "sigmoid": "symdl.functions:sigmoid",
    "softplus": "symdl.functions:softplus", "step": "symdl.functions:step",
    "GradcheckResult": "symdl.gradcheck:GradcheckResult", "gradcheck": "symdl.gradcheck:gradcheck",
    "build_graph": "symdl.graph:build", "Kernel": "symdl.kernels:Kernel", "kernel": "symdl.kernels:kernel",
    "configure_limits": "symdl.limits:configure", "to_networkx": "symdl.exchange:to_networkx",
    "parse": "symdl.parsing:parse", "parse_latex": "symdl.parsing:parse_latex",
    "parse_steps": "symdl.parsing:parse_steps", "symbol": "symdl.parsing:symbol",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name].split(":")
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    try:  # a submodule not imported yet: symdl.kernels, symdl.worksheet, ...
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``symdl.backprop``, ``symdl.derive`` and ``symdl.gradcheck`` the functions: importing the
    submodule of the same name would otherwise bind the module over the public name."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
