"""What the command line does with its streams: clean stderr, encodable stdout, bounded stdin, progress.

Every ``symdl`` run imports this before it parses its arguments, so it loads nothing heavy:
tqdm only when a progress bar is drawn on a terminal.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
import threading
import unicodedata
from typing import Iterable, Iterator, Optional, TypeVar

from symdl.errors import SymdlError
from symdl.files import read_bounded

T = TypeVar("T")

# Characters a terminal would act on instead of showing: controls (newline, ESC), format characters
# (bidi overrides such as U+202E), line and paragraph separators, lone surrogates from undecodable argv.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# ASCII spellings for the symbols symdl prints, for a stream that cannot encode them (e.g. cp1252);
# Greek letters are spelled by name and other letters lose their accents (see _ascii).
_ASCII = {
    "∂": "d", "−": "-", "×": "*", "·": "*", "⋆": "*", "⊙": "(.)", "ᵀ": "^T", "²": "^2", "³": "^3", "⁻¹": "^-1",
    "√": "sqrt", "∑": "sum", "≈": "~", "≠": "!=", "≤": "<=", "≥": ">=", "→": "->", "←": "<-", "⇒": "=>",
    "∇": "grad", "…": "...", "—": "--", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "½": "1/2",
    "±": "+/-", "∞": "inf", "⟨": "<", "⟩": ">", "‖": "||", "✓": "ok", "✗": "x",
}
_FALLBACK_ERRORS = "symdl.ascii"


def clean(text: str) -> str:
    """``text`` with every character a terminal would act on escaped (``\\n``, ``\\x1b``, ``\\u202e``),
    so anything echoed from argv, paths or files stays one visible line."""
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)


def printable(text: str) -> str:
    """``text`` with its lines kept and, within each, everything :func:`clean` escapes: for stdout's
    plain-text reports, which echo titles, notes and paths from files a stranger may have written."""
    return "\n".join(clean(line) for line in text.split("\n"))


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ascii(ch: str) -> str:
    if ch in _ASCII:
        return _ASCII[ch]
    if unicodedata.category(ch) in _UNSAFE_CATEGORIES:
        return _escape(ch)
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK"):  # σ → sigma, Σ → Sigma
        letter = name.rsplit(" ", 1)[-1].lower()
        return letter.capitalize() if "CAPITAL" in name else letter
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()  # ẑ → z, x₁ → x1
    return plain or "?"


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_ascii(ch) for ch in error.object[error.start:error.end]), error.end


codecs.register_error(_FALLBACK_ERRORS, _fallback)


def encodable_output() -> None:
    """Let stdout and stderr print every character: as itself where the stream's encoding has it
    (UTF-8 almost everywhere), else spelled in ASCII (∂ → d, σ → sigma), never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=_FALLBACK_ERRORS)


def detach_stdout() -> None:
    """After the reader of stdout went away (``| head``): drop stdout, so the interpreter's last
    flush does not complain about the closed pipe (the stream's own close at exit stays silent)."""
    sys.stdout = None


def read_stdin(limit: int, what: str) -> str:
    """stdin as UTF-8 text, refused past ``limit`` bytes (a pipe from /dev/zero must not fill memory)."""
    if sys.stdin is None:
        raise SymdlError(f"{what} is '-' but there is no stdin")
    data = read_bounded(sys.stdin.buffer, limit)
    if len(data) > limit:
        raise SymdlError(f"{what} on stdin is longer than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SymdlError(f"{what} on stdin is not UTF-8 text (byte {error.start})") from None


def _stderr_is_terminal() -> bool:
    return sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def progress(items: Iterable[T], desc: str, total: Optional[int] = None, unit: str = "it") -> Iterable[T]:
    """``items``, with a progress bar on stderr when stderr is a terminal; untouched otherwise,
    so pipes, logs and JSON get nothing extra."""
    if not _stderr_is_terminal():
        return items
    from tqdm import tqdm
    return tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


@contextlib.contextmanager
def working(desc: str, after: float = 1.0) -> Iterator[None]:
    """A line on a terminal's stderr saying ``desc`` and the time so far, for work of unknown length
    that has already taken ``after`` seconds (a kernel build); nothing for quick work or off a terminal."""
    if not _stderr_is_terminal():
        yield
        return
    from tqdm import tqdm
    done = threading.Event()
    with tqdm(desc=desc, bar_format="{desc} ({elapsed})", delay=after, file=sys.stderr, leave=False) as bar:
        def tick() -> None:
            while not done.wait(0.25):
                bar.update(0)  # tqdm draws once ``after`` has passed, then keeps the clock running
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()


def emit(line: str) -> None:
    """Print one line on stdout, above any progress bar (a bar is on stderr; tqdm keeps them apart)."""
    if "tqdm" in sys.modules:
        sys.modules["tqdm"].tqdm.write(line, file=sys.stdout)
    else:
        print(line)
