"""Outputs written atomically: what a killed write leaves behind is cleaned up, and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from schede_excel.files import STALE_SECONDS, atomic_write


def _age(path, seconds):
    past = time.time() - seconds
    os.utime(path, (past, past), follow_symlinks=False)


def test_a_write_killed_midway_leaves_a_temp_file_the_next_write_removes(tmp_path):
    target = tmp_path / "riepilogo.xlsx"
    script = textwrap.dedent(f"""
        import os, signal, tempfile
        import schede_excel.files as files
        real_replace = os.replace
        def killed(*args):  # the process dies after writing the temporary file, before renaming it
            os.kill(os.getpid(), signal.SIGKILL)
        os.replace = killed
        files.atomic_write({str(target)!r}, b"x" * 100_000)
    """)
    done = subprocess.run([sys.executable, "-c", script])
    assert done.returncode == -signal.SIGKILL
    [left] = [p for p in tmp_path.iterdir() if p.name.startswith(".riepilogo.xlsx.")]
    assert not target.exists()
    atomic_write(target, b"nuovo")
    assert left.exists()  # seconds old: it could be another write in progress
    _age(left, STALE_SECONDS + 60)
    atomic_write(target, b"nuovo")
    assert not left.exists() and target.read_bytes() == b"nuovo"


def test_only_our_stale_temp_files_of_that_target_are_removed(tmp_path):
    target = tmp_path / "cartella.xlsx"
    stale = tmp_path / ".cartella.xlsx.abcd1234.tmp"
    fresh = tmp_path / ".cartella.xlsx.efgh5678.tmp"
    other = tmp_path / ".altro.xlsx.abcd1234.tmp"
    mine = tmp_path / ".cartella.xlsx.appunti.tmp"  # not the shape of our names
    outside = tmp_path / "fuori.txt"
    link = tmp_path / ".cartella.xlsx.link0000.tmp"
    folder = tmp_path / ".cartella.xlsx.cartella.tmp"
    for path in (stale, fresh, other, mine, outside):
        path.write_bytes(b"resto")
    link.symlink_to(outside)
    folder.mkdir()
    for path in (stale, other, mine, link, folder, outside):
        _age(path, STALE_SECONDS + 60)
    atomic_write(target, b"dati")
    assert not stale.exists()
    assert all(p.exists() or p.is_symlink() for p in (fresh, other, mine, link, folder, outside))
    assert outside.read_bytes() == b"resto"
