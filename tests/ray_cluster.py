"""A local Ray for tests and benchmarks: started in this process with two CPUs on loopback, its
processes noted by PID and stopped by PID (``ray stop`` would stop every Ray on the machine)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import psutil


def start_ray(num_cpus: int = 2) -> list[int]:
    """``ray.init`` here; the PIDs of the processes it started. Token auth is off explicitly: a
    local ``ray.init`` leaves ``~/.ray/auth_token`` behind, after which Ray asks for it."""
    os.environ["RAY_AUTH_MODE"] = "disabled"
    import ray

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    ray.init(num_cpus=num_cpus, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    return [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]


def stop_ray(pids: list[int]) -> None:
    import ray

    ray.shutdown()
    deadline = time.monotonic() + 10
    for pid in pids + [p.pid for p in _ray_children()]:
        while psutil.pid_exists(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if psutil.pid_exists(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _ray_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "ray" in " ".join(p.cmdline()).lower()]


def local_ray() -> Iterator[list[int]]:
    """A fixture body: one local Ray for the module."""
    pids = start_ray()
    try:
        yield pids
    finally:
        stop_ray(pids)
