"""A real OpenSSH server on loopback for the replica's tests: Debian's sshd, started on a
free port with its own host key, config and one authorized key made here, serving SFTP
only, never privileged.

sshd run by an ordinary user serves that user alone; run by root (CI) it would need its
privilege-separation folder and would log in as root, so it is started as `nobody`
(setpriv) and logs in `nobody`. Its files live in a folder of their own under /tmp that
`nobody` can read (pytest's folders are private to their owner). Stop and start it at
will: the port and the host key stay, so a client that knew it finds it again.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.desktop import wait_for
from tests.receivers import free_port

SSHD = "/usr/sbin/sshd"


class SftpServer:
    def __init__(self, client_dir: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="reminderd-sftp-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.user = "nobody" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.replicas = self.root / "replicas"  # where the client may write
        self.replicas.mkdir()
        self.key = client_dir / "id_ed25519"  # the client's key, private to the test
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.root / "host_key")], check=True)
        shutil.copy(f"{self.key}.pub", self.root / "authorized_keys")
        (self.root / "sshd_config").write_text(f"""\
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.root}/host_key
PidFile none
AuthorizedKeysFile {self.root}/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
# PAM's account check, not sshd's own: `nobody` has no password, which sshd alone calls locked.
UsePAM yes
# The folder is under /tmp (sticky, world-writable), which StrictModes would refuse.
StrictModes no
AllowUsers {self.user}
ForceCommand internal-sftp
Subsystem sftp internal-sftp
""")
        os.chmod(self.root, 0o755)
        if self.as_root:
            for path in (self.root / "host_key", self.replicas):
                shutil.chown(path, "nobody", "nogroup")
        self.proc: subprocess.Popen | None = None

    @property
    def host_key(self) -> str:
        """The server's public key as known_hosts and ssh-keyscan show it: "TYPE KEY"."""
        return " ".join((self.root / "host_key.pub").read_text().split()[:2])

    def url(self, name: str) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{self.replicas / name}"

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_key}\n"

    def start(self) -> "SftpServer":
        drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if self.as_root else []
        self.proc = subprocess.Popen([*drop, SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.root / "sshd.log", "a"),
                                     start_new_session=True)
        wait_for(lambda: "Server listening" in (self.root / "sshd.log").read_text() or self.proc.poll() is not None,
                 timeout=10, what="sshd to listen")
        assert self.proc.poll() is None, (self.root / "sshd.log").read_text()
        return self

    def stop(self) -> None:
        """The server and every session it serves, at once: the target is down. Each
        session's sshd starts a session of its own (setsid), so they are found as the
        listener's descendants, by process id."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2:].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found
