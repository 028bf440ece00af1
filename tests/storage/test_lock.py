"""The database's lock: one process at a time, the second told who holds it, nothing left behind by a
process that died."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from storage.lock import DatabaseInUse, exclusive, lock_path

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    with exclusive(database):
        assert lock_path(database) == tmp_path / "data" / "bot.sqlite3.lock"
        with (
            pytest.raises(DatabaseInUse) as refused,
            exclusive(database),
        ):  # another open file, as a 2nd process has
            pass
        said = str(refused.value)
        assert said.startswith(f"the bot already runs on {database} (pid {os.getpid()} on ")
        assert socket.gethostname() in said and " since 20" in said and "\n" not in said
    with exclusive(database):  # let go: the next one takes it
        pass
    assert not database.exists(), "the lock never touches the database itself"


def test_the_file_left_by_a_killed_holder_blocks_nothing(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from storage.lock import exclusive\n"
            "with exclusive(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(database),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DatabaseInUse, match=f"pid {holder.pid} on "), exclusive(database):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up of its own
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert lock_path(database).read_text().startswith(f'{{"pid": {holder.pid}'), "its file is still there"
    with exclusive(database):
        assert f'"pid": {os.getpid()}' in lock_path(database).read_text(), "the new holder names itself"


def test_one_database_reached_through_a_link_is_locked_once(tmp_path: Path) -> None:
    real = tmp_path / "volume" / "bot.sqlite3"
    real.parent.mkdir()
    real.write_bytes(b"")
    link = tmp_path / "app" / "bot.sqlite3"
    link.parent.mkdir()
    link.symlink_to(real)
    with exclusive(real), pytest.raises(DatabaseInUse), exclusive(link):
        pass
