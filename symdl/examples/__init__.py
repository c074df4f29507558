"""The bundled examples: every exercise of the seed notes as a problem file, shipped in the wheel.

The problem files (``*.toml`` in this folder) are package data, found with ``importlib.resources``
wherever symdl is installed, so ``symdl solve sigmoid_neuron`` works from any directory. Every
``.toml`` here is an example: none is listed by hand. The seed's own networks and numbers are the
modules beside them (``seed_dense``, ``seed_conv``, ``seed_sequence``), which the gallery runs,
and ``symmetry``, the zero-initialisation demonstration.

This module imports nothing heavy: the command line resolves names with it before any work starts.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from symdl.errors import SymdlError

SUFFIX = ".toml"


class UnknownExample(SymdlError):
    """A FILE that is neither a file nor the name of a bundled example."""


def folder() -> Path:
    """The directory of the bundled problem files (pip installs package data as plain files)."""
    return Path(str(resources.files(__name__)))


def problem_files() -> list[Path]:
    """Every bundled problem file, sorted by name."""
    return sorted(folder().glob(f"*{SUFFIX}"))


def names() -> list[str]:
    """The bundled examples' names (the file names without ``.toml``), sorted."""
    return [path.stem for path in problem_files()]


def path(name: str) -> Path:
    """The bundled problem file called ``name``; an unknown name is refused with the closest names."""
    if name in names():
        return folder() / f"{name}{SUFFIX}"
    close = difflib.get_close_matches(Path(name).stem, names(), n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "`symdl examples` lists them"
    raise UnknownExample(f"{name}: no such file, nor a bundled example ({hint})")


def locate(argument: str) -> str | Path:
    """What a FILE argument names: the file, if one exists as given; else the bundled example of that name."""
    if Path(argument).exists():
        return argument
    return path(argument)
