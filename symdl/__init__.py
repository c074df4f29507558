"""symdl: symbolic derivations for deep learning.

>>> import symdl
>>> result = symdl.backprop("(x + y)*z", at={"x": -2, "y": 5, "z": -4})
>>> result.value, result.gradients
(-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
>>> str(symdl.derive("tanh(x)", "x").result)
'1 - tanh(x)**2'
"""

from symdl.backprop import Backprop, backprop
from symdl.derive import derive
from symdl.derivation import Derivation, Step
from symdl.errors import LimitError, ParseError, SymdlError
from symdl.functions import leaky_relu, relu, sigmoid, softplus, step
from symdl.gradcheck import GradcheckResult, gradcheck
from symdl.graph import build as build_graph
from symdl.kernels import Kernel, kernel
from symdl.limits import configure as configure_limits
from symdl.parsing import parse, parse_latex, parse_steps, symbol

__all__ = [
    "Backprop", "Derivation", "GradcheckResult", "Kernel", "LimitError", "ParseError", "Step", "SymdlError",
    "backprop", "build_graph", "configure_limits", "derive", "gradcheck", "kernel", "leaky_relu", "parse",
    "parse_latex", "parse_steps", "relu", "sigmoid", "softplus", "step", "symbol",
]
