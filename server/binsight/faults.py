"""Fault points for the crash tests: a test lists point names in ``BINSIGHT_FAULTS`` and the
server process kills itself with SIGKILL on reaching one, as a power cut or the kernel's OOM
killer would, at exactly the moment under test (between a file's commit and its placement, say).
``name:ENOSPC`` (any errno name) raises that OSError there instead, as a full disk would.
Unset (always, outside those tests), a fault point costs one dictionary lookup.

The points: ``probe``, ``detect``, ``embed`` and ``store`` (an ingest's stages, ``store`` with a
file's rows written and its media row not), ``after_commit`` (committed, not yet placed),
``correction`` (a correction applied to the bins, not yet logged), ``export_write`` (each
export file written to its temporary name) and ``export_rename`` (all written, none renamed).
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "BINSIGHT_FAULTS"


def fault_point(name: str) -> None:
    points = os.environ.get(ENV)
    if not points:
        return
    for point in points.split(","):
        label, _, error = point.partition(":")
        if label != name:
            continue
        if error:
            code = getattr(errno, error)
            raise OSError(code, os.strerror(code))
        os.kill(os.getpid(), signal.SIGKILL)
