"""Writing outputs safely: atomically, and never replacing a different file without being asked."""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator


STALE_SECONDS = 600
"""A temporary file of ours older than this is left over from a killed write (a live one lasts seconds)."""


def clean_stale_temps(path: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed `atomic_write` of `path` left next to it; returns those removed.

    Only files named as `atomic_write` names them for this very target (`.<name>.<8 characters>.tmp`),
    regular files (never a link, never a folder), owned by this user and older than `STALE_SECONDS`:
    another process's write in progress, or anything of the user's, is never touched.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if (stat.S_ISREG(info.st_mode) and (uid is None or info.st_uid == uid)
                    and now - info.st_mtime > STALE_SECONDS):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone meanwhile, or not ours to remove
    return removed


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees either the old file or the whole new one.

    Temporary files that an earlier write of `path` left when it was killed are removed first.
    """
    with atomic_writer(path) as handle:
        handle.write(data)


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write `path` through, as `atomic_write` does: what is written goes to a temporary
    file beside it, which replaces `path` only when the block ends without an exception."""
    path = Path(path)
    tmp = staging_file(path)
    try:
        with open(tmp, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def staging_file(path: str | Path) -> Path:
    """A new empty temporary file beside `path`, to be written and then moved onto it with `os.replace`.

    It is named as `clean_stale_temps` recognises (a killed run leaves nothing behind for good),
    and has the mode the final file should have. The folder is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, _default_mode(path))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_synced(path: Path, data: bytes) -> None:
    """Write `data` into `path` and wait until it is on the disk."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _default_mode(path: Path) -> int:
    # mkstemp creates 0600 files; give the new file the mode of the one it replaces, or the umask's.
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def safe_filename(text: str) -> str:
    """A file name made of letters, digits, '-' and '_' whatever the input (sector names, plan names)."""
    cleaned = "".join(ch if ch.isalnum() and ch.isascii() or ch in "-_" else "-" for ch in text)
    return "-".join(part for part in cleaned.split("-") if part)[:80] or "file"


_OS_ERRORS = {
    errno.ENOENT: "il file o la cartella non esiste",
    errno.EACCES: "permesso negato",
    errno.EPERM: "operazione non permessa",
    errno.ENOSPC: "spazio su disco esaurito",
    errno.EISDIR: "è una cartella, non un file",
    errno.ENOTDIR: "un elemento del percorso non è una cartella",
    errno.EROFS: "il disco è in sola lettura",
    errno.EEXIST: "esiste già",
    errno.ENAMETOOLONG: "nome troppo lungo",
    errno.EBUSY: "il file è in uso da un altro programma",
    errno.ECONNREFUSED: "connessione rifiutata",
    errno.ETIMEDOUT: "tempo scaduto",
    errno.EHOSTUNREACH: "server non raggiungibile",
}


def describe_os_error(error: BaseException) -> str:
    """An operating-system error in Italian (the system's own text is English)."""
    code = getattr(error, "errno", None)
    if code in _OS_ERRORS:
        return _OS_ERRORS[code]
    return getattr(error, "strerror", None) or str(error)

