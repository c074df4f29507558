"""The bundled examples: every exercise of the seed notes as a problem file, shipped in the wheel.

The problem files (``*.toml`` in this folder) are package data, found with ``importlib.resources``
wherever symdl is installed, so ``symdl solve sigmoid_neuron`` works from any directory. Every
``.toml`` here is an example, found on disk, and says where the course meets it (``course = N``, a
number read by :func:`course_order`), so adding an example touches no list here. The seed's own networks
and numbers are the modules beside them (``seed_dense``, ``seed_conv``, ``seed_sequence``), which the gallery runs,
and ``symmetry``, the zero-initialisation demonstration.

This module imports nothing heavy: the command line resolves names with it before any work starts.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from importlib import resources
from pathlib import Path

from symdl.errors import SymdlError

SUFFIX = ".toml"
# ``course = N`` in each file orders the examples as the seed notes teach them (Lab 1, Lab 2, the
# perceptron, computational graphs, vanishing and exploding gradients, batch norm, convolutions,
# sequences, attention); the numbers go in tens, so a new example slots in between two. A file
# without one comes after these, by name.


class UnknownExample(SymdlError):
    """A FILE that is neither a file nor the name of a bundled example."""


def folder() -> Path:
    """The directory of the bundled problem files (pip installs package data as plain files)."""
    return Path(str(resources.files(__name__)))


def course_order(name: str) -> tuple[float, str]:
    """A sort key: the example's ``course`` number (after every numbered one, if it has none), then its name."""
    return (_course(name), name)


def _course(name: str) -> float:
    """The ``course`` number of the bundled file ``name`` (the problem loader checks it is one); none
    for a name that is not bundled or a file that does not read, which the loader reports when it is used."""
    try:
        course = tomllib.loads((folder() / f"{name}{SUFFIX}").read_text(encoding="utf-8")).get("course")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return math.inf
    return course if isinstance(course, int) and not isinstance(course, bool) else math.inf


def problem_files() -> list[Path]:
    """Every bundled problem file, in the course's order."""
    return sorted(folder().glob(f"*{SUFFIX}"), key=lambda path: course_order(path.stem))


def names() -> list[str]:
    """The bundled examples' names (the file names without ``.toml``), in the course's order."""
    return [path.stem for path in problem_files()]


def path(name: str, found: str = "no such file") -> Path:
    """The bundled problem file called ``name``; an unknown name is refused with the closest names and
    ``found``, what is at ``name`` on disk."""
    if name in names():
        return folder() / f"{name}{SUFFIX}"
    close = difflib.get_close_matches(Path(name).stem, names(), n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "`symdl examples` lists them"
    raise UnknownExample(f"{name}: {found}, nor a bundled example ({hint})")


def locate(argument: str) -> str | Path:
    """What a FILE argument names: the file, if one exists as given; else the bundled example of that name.
    A directory is never a problem file: ``symdl solve rnn --out rnn`` makes one named like the example,
    and a second run must still find the example."""
    if Path(argument).is_dir():
        return path(argument, "a directory, not a problem file")
    if Path(argument).exists():
        return argument
    return path(argument)
