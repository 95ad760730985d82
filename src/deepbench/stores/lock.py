"""One run owns an output: an exclusive lock taken before anything is opened for writing.

The lock is ``OUT.lock`` beside the output, held with ``flock`` (released by the kernel when the
process dies, even by SIGKILL, so an interrupted run never leaves a stale lock). It holds a line
of JSON naming the holder (pid, host, start time, command), which a refused run reports.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from deepbench.errors import OutputBusyError, StoreError


def lock_path(out: Path) -> Path:
    return out.with_name(out.name + ".lock")


class OutputLock:
    """Exclusive, non-blocking ownership of ``out``; use as a context manager."""

    def __init__(self, out: Path):
        self.path = lock_path(out)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise :class:`OutputBusyError` naming the holder."""
        for _ in range(5):  # the holder may delete the file between our open and our flock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(f"cannot create the lock file {self.path}: {exc.strerror}; the "
                                 "output directory must be writable") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read(fd)
                os.close(fd)
                raise OutputBusyError(f"{self.path.name[:-5]} is being written by another run "
                                      f"({holder}); wait for it to finish or stop it") from None
            if _same_file(fd, self.path):
                os.ftruncate(fd, 0)
                os.write(fd, _holder().encode())
                self._fd = fd
                return
            os.close(fd)  # we locked a file that was deleted meanwhile: try again
        raise OutputBusyError(f"{self.path} keeps changing; another run is starting on this output")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # unlink first, while we still hold it
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder() -> str:
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200]
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": when,
                       "command": command}) + "\n"


def _read(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return (f"pid {info['pid']} on {info['host']} since {info['since']}: "
                f"{info['command']}")
    except (ValueError, KeyError, UnicodeDecodeError, OSError):
        return "holder unknown"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
