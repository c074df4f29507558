"""Value-and-gradient kernels: one compiled NumPy function per expression.

The gradients come from the graph's straight-line program (reverse mode), the
whole list goes through SymPy's CSE inside ``lambdify``, and the stable rules
(``log σ(u) → −softplus(−u)``, exponential forms → σ, tanh, softplus) run
first, so a kernel is finite where the maths is: sigmoid(−1000) is 0, not NaN.

Large arrays are evaluated in cache-sized blocks of points, on several threads (NumPy's ufuncs
release the GIL): each block runs the same generated function, so every element goes through the
same operations and the result is bit-identical to one call on the whole arrays. Scalars and
small arrays take that one call directly.
"""

from __future__ import annotations

import builtins
import contextvars
import dataclasses
import inspect
import itertools
import keyword
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional, Sequence

import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import numeric, ops
from symdl.backprop import gradient_expressions
from symdl.errors import SymdlError
from symdl.parsing import parse_names
from symdl.rewrite import STABLE, apply_rules

#: NumPy implementations of symdl's own SymPy functions, taken from the op registry.
NUMPY_FUNCTIONS = ops.numpy_functions()
NUMPY_FUNCTIONS["sech"] = numeric.sech  # from the stable rules for tanh' and σ'; NumPy's 1/cosh overflows
#: What generated code may call: symdl's functions, SciPy's special functions (erf, erfc), NumPy.
LAMBDIFY_MODULES = [NUMPY_FUNCTIONS, "scipy", "numpy"]
_RESERVED = set(dir(np)) | set(dir(builtins)) | set(NUMPY_FUNCTIONS) | {"numpy", "math", "mpmath", "scipy"}

#: Points per block: 16 384 float64 are 128 KB an array, so a block's intermediates stay in cache.
BLOCK = 16_384
#: Fewer blocks than this make one call on the whole arrays: their intermediates (1 MB each at the
#: default block) still fit in cache, and blocks or threads were measured to gain nothing there.
MIN_BLOCKS = 8


@dataclasses.dataclass
class Kernel:
    """``kernel(x=..., y=...)`` returns ``(value, {name: gradient})`` for whole arrays.

    ``threads`` and ``block`` choose how large inputs are evaluated (see :func:`kernel`); both may
    be changed on a kernel after it is made.
    """

    expression: sp.Expr
    args: list[str]
    wrt: list[str]
    function: Callable
    outputs: list[sp.Expr]
    threads: Optional[int] = None
    block: Optional[int] = BLOCK

    @property
    def source(self) -> str:
        """The generated Python source, for reading and for ``symdl kernel``."""
        return inspect.getsource(self.function)

    def __call__(self, *positional, **named):
        values = self._arguments(positional, named)
        shape = np.broadcast_shapes(*(np.shape(v) for v in values)) if values else ()
        size = math.prod(shape)
        with np.errstate(under="ignore"):  # underflow rounds correctly (2**-1e6 is 0): not an error to report
            if self.block is None or size < MIN_BLOCKS * self.block:
                results = self.function(*values)
                value, *grads = (np.broadcast_to(np.asarray(r, dtype=float), shape) for r in results)
            else:
                threads = threads_for(size, self.threads, self.block)
                value, *grads = _blockwise(self.function, values, shape, 1 + len(self.wrt), self.block, threads)
        return value, dict(zip(self.wrt, grads))

    def _arguments(self, positional, named) -> list:
        if positional and named:
            raise SymdlError("pass the inputs either by position or by name, not both")
        if positional:
            if len(positional) != len(self.args):
                raise SymdlError(f"expected {len(self.args)} inputs ({', '.join(self.args)}), got {len(positional)}")
            return [np.asarray(v, dtype=float) for v in positional]
        missing = [a for a in self.args if a not in named]
        unknown = sorted(set(named) - set(self.args))
        if missing or unknown:
            raise SymdlError(f"kernel inputs are {', '.join(self.args)}; "
                             f"missing {missing or 'none'}, unknown {unknown or 'none'}")
        return [np.asarray(named[a], dtype=float) for a in self.args]

    def __repr__(self) -> str:
        return f"Kernel({self.expression}, args={self.args}, wrt={self.wrt})"


def kernel(source: graphs.Source, wrt: Optional[Sequence[str] | str] = None, *,
           threads: Optional[int] = None, block: Optional[int] = BLOCK) -> Kernel:
    """Compile value and gradients w.r.t. ``wrt`` (default: every input) into one NumPy function.

    Inputs of ``MIN_BLOCKS`` blocks or more (after broadcasting) are evaluated ``block`` points at a
    time, on ``threads`` threads: ``None`` means every CPU this process may use, ``1`` the calling
    thread only. Smaller inputs, and any input with ``block=None``, make one call on the whole
    arrays. Every choice gives bit-identical results; floating-point errors and warnings follow the
    caller's ``np.errstate`` in every thread (a warning may then come once per block).
    """
    for name, given in (("threads", threads), ("block", block)):
        if given is not None and (not isinstance(given, int) or isinstance(given, bool) or given < 1):
            raise SymdlError(f"{name} must be a positive integer or None, not {given!r}")
    graph = graphs.build(source, "fused")
    args = graphs.inputs(graph)
    wrt = parse_names(wrt) if isinstance(wrt, str) else list(wrt if wrt is not None else args)
    unknown = [w for w in wrt if w not in args]
    if unknown:
        raise SymdlError(f"cannot differentiate with respect to {', '.join(unknown)}: "
                         f"the expression's inputs are {', '.join(args) or 'none'}")
    outputs = [graph.graph["expression"], *gradient_expressions(graph, wrt)]
    outputs = [apply_rules(e, STABLE)[0] for e in outputs]
    renamed = {graph.nodes[a]["symbol"]: _safe(graph.nodes[a]["symbol"]) for a in args}
    function = sp.lambdify(list(renamed.values()), [e.xreplace(renamed) for e in outputs],
                           modules=LAMBDIFY_MODULES, cse=True, docstring_limit=0)
    return Kernel(graph.graph["expression"], args, wrt, function, outputs, threads, block)


def _safe(s: sp.Symbol) -> sp.Symbol:
    """A name that cannot shadow anything the generated code calls (``exp``, ``select``, …)."""
    name = s.name
    unsafe = name in _RESERVED or keyword.iskeyword(name) or not name.isidentifier() or name.startswith("_")
    return sp.Dummy(f"arg_{len(name)}") if unsafe else s


def threads_for(size: int, threads: Optional[int] = None, block: Optional[int] = BLOCK) -> int:
    """How many threads a kernel call over ``size`` points (after broadcasting) runs on."""
    if block is None or size < MIN_BLOCKS * block:
        return 1
    return max(1, min(_cpus() if threads is None else threads, -(-size // block)))  # no more threads than blocks


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _blockwise(function: Callable, values: list, shape: tuple, count: int, block: int, threads: int) -> list:
    """``count`` outputs of ``function`` over the broadcast ``shape``, ``block`` points per call.

    Inputs are flattened to the points (size-1 inputs stay scalars, as in one whole call; one
    broadcast along some axes only is copied out to the full shape); the blocks are handed out one
    at a time to the calling thread and ``threads − 1`` pool threads, which write into
    preallocated outputs.
    """
    size = math.prod(shape)
    flat = [v.reshape(()) if v.size == 1 else np.broadcast_to(v, shape).reshape(-1) for v in values]
    outputs = [np.empty(size) for _ in range(count)]
    starts, failed = itertools.count(0, block), threading.Event()  # next() on a count is atomic under the GIL

    def work() -> None:
        try:
            for start in starts:
                if start >= size or failed.is_set():
                    return
                stop = min(start + block, size)
                results = function(*(f if f.ndim == 0 else f[start:stop] for f in flat))
                for out, result in zip(outputs, results):
                    out[start:stop] = result
        except BaseException:
            failed.set()
            raise

    helpers = _start(work, threads - 1)
    try:
        work()
    finally:
        errors = [h.exception() for h in helpers]  # waits: no thread may still write after we return
    for error in errors:
        if error is not None:
            raise error
    return [out.reshape(shape) for out in outputs]


def _start(work: Callable[[], None], count: int) -> list:
    """Run ``work`` on ``count`` pool threads, each in a copy of the caller's context: NumPy keeps its
    error state (``np.errstate``) in a context variable, which a new thread would not otherwise see."""
    helpers = []
    if count > 0:
        pool = _pool(count)
        for _ in range(count):
            try:
                helpers.append(pool.submit(contextvars.copy_context().run, work))
            except RuntimeError:  # the interpreter is exiting and starts no threads: the caller does the rest
                break
    return helpers


_POOL: tuple[int, Optional[ThreadPoolExecutor]] = (0, None)
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """The shared worker threads, made on first use and grown when more are asked for."""
    global _POOL
    with _POOL_LOCK:
        size, pool = _POOL
        if pool is None or size < workers:
            if pool is not None:
                pool.shutdown(wait=False)  # work already given to it still runs
            _POOL = (workers, ThreadPoolExecutor(workers, thread_name_prefix="symdl-kernel"))
        return _POOL[1]


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it makes its own pool when needed."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = (0, None), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
