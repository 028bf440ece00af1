"""One process at a time on a database: an exclusive lock on a file beside it, held for the process's life.

Two bots on one database would each take the other's work for their own: at start a bot turns an
operation "being sent" back to pending and sends it, though the other process's request is in flight.
So the bot, and every operator command that writes, holds `flock(LOCK_EX)` on `<database>.lock`;
a second one is refused at once and told who holds it (pid, host, since when, as the holder wrote it).

The lock belongs to the open file, not to the file's existence: the kernel drops it when the holder's
last descriptor closes, however the process ends (a `kill -9` included), so a file left behind by a
dead process blocks nothing. The file is never deleted (deleting it would let two processes lock two
different files of the same name).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the database's lock; the message names it (what to do depends on who
    asks: the caller adds it)."""


def lock_path(database_path: Path) -> Path:
    """Beside the database file itself: one file reached through a link (or another spelling of its
    path) is locked by one lock file."""
    real = Path(os.path.realpath(database_path))
    return real.with_name(real.name + ".lock")


@contextmanager
def exclusive(database_path: Path) -> Iterator[None]:
    """Hold the database's lock until the block ends; raises DatabaseInUse when another process has it.

    OSError when the lock file cannot be created (a missing permission): nothing is locked then.
    """
    path = lock_path(database_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(f"the bot already runs on {database_path} ({_holder(fd)})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, _about_me().encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _about_me() -> str:
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}) + "\n"


def _holder(fd: int) -> str:
    """Who holds the lock, as it wrote itself into the file (it may not have written yet)."""
    try:
        about = json.loads(os.pread(fd, 4096, 0))
        return f"pid {int(about['pid'])} on {about['host']}, since {about['since']}"
    except (ValueError, KeyError, TypeError):
        return "pid unknown"
