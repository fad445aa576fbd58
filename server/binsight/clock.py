"""The one clock of the store: ISO 8601 UTC timestamps to the microsecond, so rows written by
different parts of the server (ingest, feedback, jobs) sort together as strings and two
corrections made in the same second keep their order (undo depends on it)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
