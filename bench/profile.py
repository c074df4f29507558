"""Where the time goes: ``python -m bench.profile derivation "LSTM (H=4)" 32`` prints cProfile's
top entries for one derivation (from an empty SymPy cache); ``python -m bench.profile kernel
"LSTM step (H=1)"`` times each line of symdl's generated kernel at N = 10⁶ (best of 5).
For reading, not for the results: profiling slows what it measures.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

from sympy.core.cache import clear_cache

from bench import kernels
from bench.cases import FAMILIES
from bench.derivation import symdl_gradients


def derivation(family: str, size: int, top: int = 25) -> None:
    source, params = FAMILIES[family].symdl(size)
    clear_cache()
    profile = cProfile.Profile()
    profile.runcall(symdl_gradients, source, params)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(top)


def kernel(case: str, n: int = kernels.N, repeats: int = 5) -> None:
    import symdl

    _, _, inputs, wrt = kernels.CASES[case]
    k = symdl.kernel(kernels.sympy_expr(case), wrt=wrt)
    namespace = dict(k.function.__globals__)
    namespace.update(kernels.inputs_for(case, n))
    source = k.source.splitlines()
    body = source[next(i for i, line in enumerate(source) if line.startswith("def ")) + 1:]  # after the imports
    lines = [line.strip() for line in body]
    lines[-1] = lines[-1].replace("return ", "_outputs = ", 1)
    total = 0.0
    for line in lines:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            exec(line, namespace)  # the kernel's own generated source, line by line
            best = min(best, time.perf_counter() - start)
        total += best
        print(f"{best * 1e3:8.2f} ms  {line}")
    print(f"{total * 1e3:8.2f} ms  in all")


if __name__ == "__main__":
    what, *rest = sys.argv[1:] or ["derivation", "LSTM (H=4)", "32"]
    derivation(rest[0], int(rest[1])) if what == "derivation" else kernel(rest[0])
