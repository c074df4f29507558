"""Writing output files all or nothing: every command's files are staged beside their targets and
renamed into place only when every one of them was written, so an error leaves no file changed.

The rules, checked before a byte is written (each refusal is an :class:`OutputError` naming the
target, never a temporary file):

- an empty name is refused; ``-`` is standard output (at most one per command), printed after the files are in place, and
  never binary output to a terminal;
- a target must be a regular file or not exist yet; a FIFO, device, directory or a symlink that
  leads nowhere is refused (a symlink to a regular file is written through, the link kept);
- its directory must exist: nothing is created, except the directories a caller names in
  ``create`` (``--out DIR``), each only if its parent exists, and removed again if the write fails;
- no two targets may be the same file, and no target may be one of the command's ``inputs``;
- a new file gets the mode the umask gives; an existing file keeps its mode (0600 stays 0600).

A run killed at any moment leaves every old file whole (at worst a hidden ``.NAME.*.tmp`` beside
it); each staged file reaches the disk before its rename.

Input files are read by :func:`read_input`: a regular file only (a FIFO would block, ``/dev/zero``
never end), and never more than a limit's worth of it.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Iterable, Sequence

from symdl.errors import SymdlError

STDOUT = "-"
Content = str | bytes
_TEMP_SUFFIX_LENGTH = len(".12345678.tmp")
_CHUNK = 1 << 20


class OutputError(SymdlError):
    """A requested output that cannot or must not be written; nothing was written."""


def write_all(targets: Sequence[tuple[str | os.PathLike, Content]], inputs: Iterable[str | os.PathLike] = (),
              create: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """Write every ``(path, content)`` pair or none (text as UTF-8); returns the targets written,
    as given and in order (standard output, ``-``, is printed last and not listed)."""
    created = _create_directories([Path(d) for d in create])
    staged: list[tuple[str, Path]] = []
    try:
        files, printed = _plan(targets, inputs)
        for path, content in files:
            staged.append((_stage(path, content), path))
    except BaseException:
        for temporary, _ in staged:
            _remove(temporary)
        for directory in reversed(created):
            _remove_directory(directory)
        raise
    _commit(staged)
    if printed is not None:
        _print(printed)
    return [Path(target) for target, _ in targets if os.fspath(target) != STDOUT]


def _plan(targets, inputs) -> tuple[list[tuple[Path, Content]], Content | None]:
    """The real path of every file target, checked against every rule; and the stdout content."""
    files, printed, seen = [], None, {}
    given_inputs = [Path(p) for p in inputs]
    for target, content in targets:
        if not isinstance(content, (str, bytes)):
            raise TypeError(f"content for {target} must be str or bytes, not {type(content).__name__}")
        if not os.fspath(target):  # Path("") would be the current directory
            raise OutputError("an output file name is empty")
        if os.fspath(target) == STDOUT:
            if printed is not None:
                raise OutputError("only one output may be '-' (standard output)")
            if isinstance(content, bytes) and sys.stdout.isatty():
                raise OutputError("refusing to print binary output (PNG, PDF) to a terminal; "
                                  "redirect it or name a file")
            printed = content
            continue
        path = _checked(Path(target))
        for source in given_inputs:
            if _same_file(path, source):
                raise OutputError(f"cannot write {target}: it is an input of this command ({source})")
        key = _identity(path)
        if key in seen:
            raise OutputError(f"cannot write {target}: the same file as the output {seen[key]}")
        seen[key] = target
        files.append((path, content))
    return files, printed


def _checked(target: Path) -> Path:
    """The path to write for ``target``: a regular file, or a new name in an existing directory."""
    try:
        link = os.lstat(target)
    except FileNotFoundError:
        link = None
    except OSError as error:  # e.g. a path through a regular file ("a.txt/b.svg")
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    if link is not None and stat.S_ISLNK(link.st_mode):
        if not target.exists():
            raise OutputError(f"cannot write {target}: it is a symbolic link to nothing")
        resolved = Path(os.path.realpath(target))
    else:
        resolved = target
    if resolved.exists() and not resolved.is_file():
        raise OutputError(f"cannot write {target}: it is {_kind(resolved.stat().st_mode)}, not a regular file")
    directory = resolved.parent
    if not directory.is_dir():
        raise OutputError(f"cannot write {target}: no such directory {directory}")
    return resolved


def probe_writable(directory: Path) -> None:
    """Raise OSError unless a file can be made in ``directory`` (no permission, a file system such as
    /proc): a hidden one is created and removed, as the writing would, before any slow work."""
    temporary = _temporary_name(directory / "probe")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    os.unlink(temporary)


def read_input(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` + 1 of them (so the caller can tell it is
    too long). The file is opened without blocking and checked as opened, so a FIFO or device is refused
    before anything waits on it; OSError (missing, unreadable) is the caller's to word."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SymdlError(f"cannot read {path}: it is {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return read_bounded(handle, limit)


def read_bounded(stream, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a binary stream, read a chunk at a time: ``read(limit + 1)``
    would allocate the whole bound first, which ``--limit max_notes_bytes=1e15`` makes a MemoryError."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(limit + 1 - size, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def _identity(path: Path) -> tuple:
    """What makes two targets the same file: the inode of an existing one, else its resolved path."""
    try:
        info = path.stat()
        return info.st_dev, info.st_ino
    except FileNotFoundError:
        return (os.path.realpath(path),)


def _same_file(path: Path, source: Path) -> bool:
    if os.path.realpath(path) == os.path.realpath(source):
        return True
    try:
        return os.path.samefile(path, source)
    except OSError:  # one of them does not exist: not the same file
        return False


def _create_directories(directories: list[Path]) -> list[Path]:
    """Create each missing leaf directory whose parent exists; returns the ones created."""
    created = []
    try:
        for directory in directories:
            if directory.is_dir():
                continue
            if directory.exists() or os.path.lexists(directory):
                raise OutputError(f"cannot write to {directory}: it is not a directory")
            if not directory.parent.is_dir():
                raise OutputError(f"cannot write to {directory}: no such directory {directory.parent}")
            try:
                directory.mkdir()
            except OSError as error:
                raise OutputError(f"cannot create {directory}: {error.strerror}") from None
            created.append(directory)
    except BaseException:
        for directory in reversed(created):
            _remove_directory(directory)
        raise
    return created


def _temporary_name(path: Path) -> Path:
    """A hidden name beside ``path`` that fits the directory's NAME_MAX however long the name is."""
    try:
        name_max = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    stem = path.name.encode("utf-8", "surrogateescape")[:name_max - 1 - _TEMP_SUFFIX_LENGTH]
    return path.with_name(f".{stem.decode('utf-8', 'ignore')}.{secrets.token_hex(4)}.tmp")


def _stage(path: Path, content: Content) -> str:
    """Write ``content`` to a new temporary beside ``path`` with the mode ``path`` will have."""
    try:
        existing = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        existing = None
    data = content.encode("utf-8") if isinstance(content, str) else content
    for _ in range(100):  # a name collision is one in 4 billion; a few tries always find a free one
        temporary = _temporary_name(path)
        try:  # a new file: 0666 less the umask, as any program creates it; an old one: private until chmod
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if existing is None else 0o600)
            break
        except FileExistsError:
            continue
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error.strerror}") from None
    else:
        raise OutputError(f"cannot write {path}: no free temporary name beside it")
    try:
        with os.fdopen(fd, "wb") as handle:
            if existing is not None:
                os.fchmod(handle.fileno(), existing)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        _remove(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        _remove(temporary)
        raise
    return str(temporary)


def _commit(staged: list[tuple[str, Path]]) -> None:
    """Rename every staged file into place (a rename within one directory does not fail in practice;
    if one does, the files not yet renamed are removed and the error names the target)."""
    for index, (temporary, path) in enumerate(staged):
        try:
            os.replace(temporary, path)
        except OSError as error:
            for later, _ in staged[index:]:
                _remove(later)
            raise OutputError(f"cannot write {path}: {error.strerror}") from None
    for directory in {path.parent for _, path in staged}:
        _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the renames themselves durable; a file system that cannot sync a directory is skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _print(content: Content) -> None:
    if isinstance(content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(content)
        sys.stdout.flush()


def _remove(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass


def _remove_directory(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:  # not empty any more: someone else wrote into it; leave it
        pass
