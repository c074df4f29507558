"""Section 7: issue 13's slow bombs — the time each takes to be answered or refused (target ≤ 2 s).

Each bomb is one call of symdl's API in this process, in CPU seconds (the command line adds its start-up,
measured as its own row, ``symdl backprop x --at x=1`` in a fresh interpreter, and once with a bomb: tanh
nested 190 deep, as ``time`` would report it). Before the budgets the
same calls took minutes or gigabytes (issue 13: nested max 39 deep > 120 s, a sum of 500 terms
58 s, a 151-factor product 83 s, tanh nested 190 deep 20–33 s, padding 15 000 4 GiB, an exercise
sheet of 100 163 s). Each run starts from an empty SymPy cache; the best of ``REPEATS`` is kept; ``peer`` is a small backprop timed in the
same turns, so each bomb is also given as a multiple of it (which a burst of load changes less).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

import symdl
from symdl import examples as bundled
from symdl.errors import LimitError
from symdl.tensor.conv import CONV2D
from symdl.worksheet import load
from symdl.worksheet.variants import variants

from bench.derivation import fresh_run

REPEATS = 3
TARGET_SECONDS = 2.0
ROOT = Path(__file__).resolve().parents[1]


def _nested(outer: str, n: int) -> str:
    text = f"x{n}"
    for i in reversed(range(n)):
        text = f"{outer}(x{i}, {text})"
    return text


def _point(n: int, value=None) -> dict[str, int]:
    return {f"x{i}": i + 1 if value is None else value for i in range(n)}


def _tanh_nest(n: int) -> str:
    return "tanh(" * n + "x" + ")" * n


#: name -> the call; every one is answered or refused with a LimitError
BOMBS: dict[str, Callable[[], object]] = {
    "backprop max(x0, max(x1, …)) 39 deep": lambda: symdl.backprop(_nested("max", 39), at=_point(40)),
    "backprop x0 + x1 + … + x499": lambda: symdl.backprop("+".join(f"x{i}" for i in range(500)), at=_point(500)),
    "backprop x0·x1·…·x499": lambda: symdl.backprop("*".join(f"x{i}" for i in range(500)), at=_point(500, 1)),
    "derive x0·x1·…·x150, printed": lambda: str(symdl.derive("*".join(f"x{i}" for i in range(151)), "x0")),
    "derive (x + 1)(x + 2)…(x + 151), printed":
        lambda: str(symdl.derive("*".join(f"(x + {i})" for i in range(1, 152)), "x")),
    "derive tanh nested 190 deep, printed": lambda: str(symdl.derive(_tanh_nest(190), "x")),
    "backprop tanh nested 190 deep": lambda: symdl.backprop(_tanh_nest(190), at="x=0.5"),
    "conv2d of a 2×2 image, padding 15 000":
        lambda: CONV2D.forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), padding=15_000),
    "exercise lstm --count 100": lambda: variants(load(bundled.path("lstm")), 1, 100),
}


def _peer() -> None:
    symdl.backprop("tanh(w*x + b)", at="w=0.5,x=2,b=-1")


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except LimitError as refused:
        return f"refused ({refused.limit_name}, at {refused.value})"
    return "answered"


def _timed(call: Callable[[], object]) -> tuple[float, str]:
    """Seconds and outcome of one call from an empty SymPy cache (a repeat must not reuse the last one's work)."""
    return fresh_run(lambda: _outcome(call))


def command_line(*args: str) -> float:
    """CPU seconds (user + system) of ``symdl ARGS`` in a fresh interpreter, best of REPEATS: what ``time``
    reports, start-up included (importing SymPy, NumPy and networkx)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(REPEATS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "symdl", *args], env=env, capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def run() -> dict:
    _peer()  # imports and caches warm before anything is timed
    rows = []
    for name, call in BOMBS.items():
        seconds, peers = [], []
        for _ in range(REPEATS):  # in turns with the peer, so a burst of load hits both alike
            elapsed, outcome = _timed(call)
            seconds.append(elapsed)
            peers.append(_timed(_peer)[0])
        best, peer = min(seconds), min(peers)
        rows.append({"bomb": name, "outcome": outcome, "seconds": best, "peer_seconds": peer,
                     "over_peer": best / peer, "met": best <= TARGET_SECONDS})
        print(f"  {name:45s} {best:6.2f} s  ({best / peer:6.0f}× a small backprop)  {outcome}", flush=True)
    start, tanh = command_line("backprop", "x", "--at", "x=1"), command_line("backprop", _tanh_nest(190), "--at", "x=0.5")
    print(f"  command-line start-up (symdl backprop x)      {start:6.2f} s CPU")
    print(f"  symdl backprop of tanh nested 190 deep        {tanh:6.2f} s CPU, start-up included")
    return {"rows": rows, "startup_seconds": start, "command_line_tanh_seconds": tanh, "target_seconds": TARGET_SECONDS}


def summary(results: dict) -> list[tuple[str, str, str]]:
    """(measure, value, target met?) rows for the README table."""
    out = [(f"bomb: {r['bomb']}", f"{r['seconds']:.2f} s, {r['outcome']}",
            f"{'yes' if r['met'] else 'no'} (≤ {results['target_seconds']:.0f} s)") for r in results["rows"]]
    out.append(("bomb: command-line start-up, added to each on the CLI", f"{results['startup_seconds']:.2f} s CPU", "—"))
    tanh = results["command_line_tanh_seconds"]
    out.append(("bomb: symdl backprop of tanh nested 190 deep, start-up included", f"{tanh:.2f} s CPU",
                f"{'yes' if tanh <= results['target_seconds'] else 'no'} (≤ {results['target_seconds']:.0f} s)"))
    return out
