"""The lock of a results file: one batch run per output at a time.

A run holds ``fcntl.flock`` on ``OUT.jsonl.lock`` (beside the file the output resolves to) for its
whole length. The lock file is opened without following a link, holds the holder's pid and command
line (only to name it in the refusal), and a file left by a dead process blocks nothing: the OS
releases the lock with the process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shlex
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from summarizer.batch.results import ResultsWriteError
from summarizer.errors import InputError


def lock_path(output: Path) -> Path:
    """The lock file of a results file: beside the file it resolves to, named ``OUT.jsonl.lock``."""
    target = Path(os.path.realpath(output))
    return target.with_name(target.name + ".lock")


def _command() -> str:
    argv = list(sys.argv)
    if argv and argv[0].endswith("__main__.py"):
        argv[0:1] = ["python", "-m", "summarizer"]
    return shlex.join(argv)[:300]


def _holder(fd: int) -> str:
    """Who holds the lock, from what it wrote into the lock file (pid line, then command line)."""
    with contextlib.suppress(OSError):
        content = os.pread(fd, 4096, 0).decode("utf-8", "replace").splitlines()
        if content and content[0].strip().isdigit():
            command = f": {content[1].strip()}" if len(content) > 1 and content[1].strip() else ""
            return f"pid {content[0].strip()}{command}"
    return "pid unknown"


def _acquire(output: Path) -> tuple[Path, int]:
    path = lock_path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsWriteError(f"cannot write {output}: {e.strerror or e}", hint="pick a writable -o path") from e
    for _ in range(100):  # only repeats while other runs finish and remove the lock file under us
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InputError(f"{path} is a symbolic link; refusing to follow it",
                                 hint="remove it: batch runs create that lock file themselves") from e  # fmt: skip
            raise ResultsWriteError(f"cannot create the lock file {path}: {e.strerror or e}",
                                    hint="pick a writable -o path") from e  # fmt: skip
        kept = False
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{path} is not a regular file", hint="remove it: batch runs create that lock file themselves")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(
                    f"{output} is in use by another batch run ({_holder(fd)})",
                    hint="wait for that run to finish, or write to another -o path",
                ) from None
            try:
                now = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                continue  # its holder removed it as it finished: lock the next one
            if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n{_command()}\n".encode(), 0)
            kept = True
            return path, fd
        except OSError as e:
            raise ResultsWriteError(f"cannot lock {path}: {e.strerror or e}", hint="pick a writable -o path") from e
        finally:
            if not kept:
                os.close(fd)
    raise InputError(f"cannot lock {path}: it keeps being replaced", hint="is another program removing it?")


@contextlib.contextmanager
def hold(output: Path) -> Iterator[Path]:
    """Hold the lock of ``output`` for the block (see the module docstring); yields the lock file's path."""
    path, fd = _acquire(output)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # still locked: a run that opened it sees it gone and locks a fresh one
        os.close(fd)
