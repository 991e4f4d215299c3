"""A real IMAP server for the tests: Dovecot from Debian, started with a throwaway configuration.

It listens on 127.0.0.1 only (implicit TLS and STARTTLS ports), with a trustme certificate,
accepts any user with the password `PASSWORD` (each test takes a user of its own, so its own
maildir), and stops by itself when the test session ends.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "Casella-42!segreta"


def unavailable_reason() -> str | None:
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (Debian package dovecot-imapd)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """One Dovecot process; `ssl_port` (implicit TLS) and `starttls_port`, the CA's PEM in `ca_file`."""

    def __init__(self, ca) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="schede-dovecot-"))
        self.root.chmod(0o755)  # the mail user must reach its home inside
        self.ca_file = self.root / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(self.root / "server.pem"))
        self.ssl_port, self.starttls_port = _free_port(), _free_port()
        home = self.root / "home"
        home.mkdir()
        if os.getuid() == 0:  # Dovecot never stores mail as root: the mail belongs to nobody
            owner = pwd.getpwnam("nobody")
            os.chown(home, owner.pw_uid, owner.pw_gid)
            users = f"uid={owner.pw_uid} gid={owner.pw_gid}"
            run_as = "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
        else:
            users = f"uid={os.getuid()} gid={os.getgid()}"
            me = pwd.getpwuid(os.getuid()).pw_name
            run_as = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        (self.root / "dovecot.conf").write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.root}/server.pem
ssl_key = <{self.root}/server.pem
auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = {users} home={home}/%u mail=maildir:{home}/%u/Maildir
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
first_valid_uid = 1
{run_as}""", encoding="utf-8")
        for name in ("run", "state"):
            (self.root / name).mkdir()
        # Dovecot forks into the background: its output goes to the log, not to pipes it would keep open.
        subprocess.run([DOVECOT, "-c", str(self.root / "dovecot.conf")], check=True, timeout=30,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.ssl_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Dovecot did not start: {(self.root / 'dovecot.log').read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), 15)
            except (ProcessLookupError, ValueError):
                pass
            for _ in range(50):
                if not pid_file.exists():
                    break
                time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str):
        """An IMAP client logged in as `user` (its own mailbox), for the tests to append messages."""
        import imaplib
        import ssl

        imap = imaplib.IMAP4_SSL("127.0.0.1", self.ssl_port,
                                 ssl_context=ssl.create_default_context(cafile=str(self.ca_file)))
        imap.login(user, PASSWORD)
        return imap
