"""Fault points for the crash tests: a test lists point names in ``BINSIGHT_FAULTS`` and the
server process kills itself with SIGKILL on reaching one, as a power cut or the kernel's OOM
killer would, at exactly the moment under test (between a file's commit and its placement, say).
Unset (always, outside those tests), a fault point costs one dictionary lookup."""

from __future__ import annotations

import os
import signal

ENV = "BINSIGHT_FAULTS"


def fault_point(name: str) -> None:
    points = os.environ.get(ENV)
    if points and name in points.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
