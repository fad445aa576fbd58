"""`binsight serve` as a process: SIGTERM stops it cleanly and a kill -9 mid-ingest loses
nothing that was committed and leaves no partial rows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from binsight.store import Store
from conftest import allow_test_media
from binsight_client import Client
from media_factory import encode, shared_media
from test_server import FPS, pan_shot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data_dir: Path, port: int, media_root: Path | None = None, **env: str) -> subprocess.Popen:
    """``binsight serve`` as its own process on ``port``, faces off, its page on any free port
    (8765 may be taken), reading media under ``media_root`` (default: the data dir's parent);
    ``env`` adds settings (e.g. ``BINSIGHT_FAULTS``). Returns once it answers health."""
    allow_test_media(data_dir, media_root or data_dir.parent)
    env = {**os.environ, "BINSIGHT_DATA_DIR": str(data_dir), "BINSIGHT_FACES__ENABLED": "false",
           "BINSIGHT_HTTP_ADDRESS": "127.0.0.1:0", **env}
    proc = subprocess.Popen([sys.executable, "-m", "binsight.cli", "--address", f"127.0.0.1:{port}", "serve"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = Client(f"127.0.0.1:{port}", timeout=120)
    try:
        client.wait_ready(timeout=60)
    except Exception:
        proc.kill()
        raise AssertionError(f"binsight serve did not come up: {proc.communicate()[1][-2000:]}") from None
    finally:
        client.close()
    return proc


def counts(data_dir: Path) -> dict[str, int]:
    store = Store(data_dir / "db")
    return {t: getattr(store, t).count() for t in ("media", "shots", "keyframes", "assignments")}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stop_mid_ingest_keeps_committed_files_whole(tmp_path: Path, sig: signal.Signals) -> None:
    data = tmp_path / "data"
    long_clip = encode(tmp_path / "long.mp4", pan_shot("garden", 1500, step=1), fps=FPS)
    port = free_port()
    proc = serve(data, port)
    client = Client(f"127.0.0.1:{port}", timeout=120)
    first = client.ingest([str(shared_media("counter.mp4"))])
    assert first.state == "succeeded"
    job = client.start_ingest([str(long_clip)])
    for event in client.watch_job(job.job_id):
        if event.stage == "detect" and event.frames_done > 0:
            break
    client.close()
    proc.send_signal(sig)
    proc.wait(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 0, proc.stderr.read()
    after = counts(data)
    assert after == {"media": 1, "shots": 3, "keyframes": 3, "assignments": 3}

    proc = serve(data, port)
    try:
        with Client(f"127.0.0.1:{port}") as client:
            assert [m.path for m in client.list_media()] == [str(shared_media("counter.mp4").resolve())]
            assert len(client.list_shots()) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
