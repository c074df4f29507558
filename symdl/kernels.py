"""Value-and-gradient kernels: one compiled NumPy function per expression.

A kernel is the graph's straight-line program (:func:`symdl.backprop.gradient_program`: the
forward steps, then the adjoints of reverse mode) printed one line per step, so building it costs
time linear in the graph and every backward line reads the forward values it needs (σ' is
``out·σ(−u)`` with σ(u) computed once). Stable forms come from the rewrite tables in two places:

- before the graph is built, each step is put in canonical form and rewritten with
  ``STABLE_STEPS`` (``log σ(u) → −softplus(−u)``), because such a rewrite spans two gates and
  the backward pass of the unrewritten pair (1/σ(u)·σ'(u)) is 0·∞ far out. A pattern split over
  two named steps (``q = sigmoid(u); f = log(q)``) is not joined;
- each program line, with the forward lines it reads that are one function call (σ(u), tanh(u))
  substituted, is rewritten with ``STABLE`` (``1 − σ(u) → σ(−u)``, ``1 − tanh²(u) → sech²(u)``);
  where a rule fires, the line keeps the rewritten form. Every forward value an adjoint line
  contains (σ(u), or cos u in sin') is then read back from its forward line, not recomputed.

So a kernel is finite where the maths is: sigmoid(−1000) is 0, not NaN. ``Kernel.source`` is the
generated module, runnable as it stands (:mod:`symdl.codegen`).

Large arrays are evaluated in cache-sized blocks of points, on several threads (NumPy's ufuncs
release the GIL): each block runs the same generated function, so every element goes through the
same operations and the result is bit-identical to one call on the whole arrays. Scalars and
small arrays take that one call directly.
"""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional, Sequence

import networkx as nx
import numpy as np
import sympy as sp

from symdl import display
from symdl import graph as graphs
from symdl import numeric, ops
from symdl.backprop import AdjointSymbol, gradient_program
from symdl.codegen import Line, python_function
from symdl.errors import SymdlError
from symdl.parsing import parse_names
from symdl.rewrite import STABLE, STABLE_STEPS, canonical
from symdl.rewriting import apply_rules

#: NumPy implementations of symdl's own SymPy functions, taken from the op registry.
NUMPY_FUNCTIONS = ops.numpy_functions()
NUMPY_FUNCTIONS["sech"] = numeric.sech  # from the stable rules for tanh' and σ'; NumPy's 1/cosh overflows
NUMPY_FUNCTIONS["exprel_grad"] = numeric.exprel_grad  # the exprel gate's gradient, computed without cancelling
#: What code lambdified elsewhere may call: symdl's functions, SciPy's special functions (erf, erfc), NumPy.
LAMBDIFY_MODULES = [NUMPY_FUNCTIONS, "scipy", "numpy"]

#: Points per block: 16 384 float64 are 128 KB an array, so a block's intermediates stay in cache.
BLOCK = 16_384
#: Fewer blocks than this make one call on the whole arrays: their intermediates (1 MB each at the
#: default block) still fit in cache, and blocks or threads were measured to gain nothing there.
MIN_BLOCKS = 8


@dataclasses.dataclass
class Kernel(display.Displayed):
    """``kernel(x=..., y=...)`` returns ``(value, {name: gradient})`` for whole arrays.

    ``threads`` and ``block`` choose how large inputs are evaluated (see :func:`kernel`); both may
    be changed on a kernel after it is made.
    """

    graph: nx.DiGraph
    args: list[str]
    wrt: list[str]
    function: Callable
    program: list[Line]  # the lines compiled, after the stable rewrites
    threads: Optional[int] = None
    block: Optional[int] = BLOCK
    source: str = ""  # the generated module, runnable as it stands; for reading and ``symdl kernel``

    @property
    def expression(self) -> sp.Expr:
        """The flat expression compiled (built on first read: from long named steps it is large)."""
        return self.graph.graph["expression"]

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
        return display.show("repr", self)


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
    graph = source if isinstance(source, nx.DiGraph) else graphs.from_steps(
        [(name, apply_rules(canonical(expr), STABLE_STEPS)[0]) for name, expr in graphs.steps_of(source)], "ops")
    args = graphs.inputs(graph)
    wrt = parse_names(wrt) if isinstance(wrt, str) else list(wrt if wrt is not None else args)
    unknown = [w for w in wrt if w not in args]
    if unknown:
        raise SymdlError(f"cannot differentiate with respect to {', '.join(unknown)}: "
                         f"the expression's inputs are {', '.join(args) or 'none'}")
    lines, gradients = gradient_program(graph, wrt, value=True)
    lines, results = _stable_lines(lines, [graph.nodes[graph.graph["output"]]["symbol"], *gradients])
    source_text, function = python_function("kernel", [graph.nodes[a]["symbol"] for a in args], lines, results,
                                            NUMPY_FUNCTIONS, f"{__name__}.NUMPY_FUNCTIONS")
    return Kernel(graph, args, wrt, function, lines, threads, block, source_text)


def _stable_lines(lines: list[Line], results: list[sp.Expr]) -> tuple[list[Line], list[sp.Expr]]:
    """The program with copies and constants propagated (``grad_f = 1`` is no line), each line
    rewritten with ``STABLE`` over the function calls it reads (see the module docstring), every
    forward value an adjoint line recomputes read from its line, and lines no result needs dropped."""
    copies: dict[sp.Symbol, sp.Expr] = {}
    calls: dict[sp.Symbol, sp.Expr] = {}  # forward lines that are one function call, σ(u): what the rules match
    computed: dict[sp.Expr, sp.Symbol] = {}
    kept = []
    for target, rhs in lines:
        rhs = rhs.xreplace(copies)
        reads = {s: calls[s] for s in rhs.free_symbols if s in calls}
        if reads or isinstance(target, AdjointSymbol) and rhs.atoms(sp.Function):  # a local's own call: s − 1
            rewritten, fired = apply_rules(rhs.xreplace(reads), STABLE)
            rhs = rewritten if fired else rhs
        if isinstance(target, AdjointSymbol):
            rhs = rhs.xreplace(computed)  # a local that recomputes a forward value (sin' = cos u) reads it
        if rhs.is_Atom:
            copies[target] = rhs
            continue
        kept.append((target, rhs))
        if not isinstance(target, AdjointSymbol):
            computed.setdefault(rhs, target)
            if rhs.is_Function:
                calls[target] = rhs
    results = [r.xreplace(copies) for r in results]
    needed = set().union(*(r.free_symbols for r in results))
    live = []
    for target, rhs in reversed(kept):
        if target in needed:
            live.append((target, rhs))
            needed |= rhs.free_symbols
    return live[::-1], results


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
