"""Logs: structured for services, short human lines on a terminal.

A server writes one JSON object per line (``--log-format json``, or whenever stderr is not a
terminal), so a pipeline engineer can grep and parse what it did: job ids, files, stages,
timings. A person at a terminal gets one short line per event instead, written above the
progress bars rather than through them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Literal

_STANDARD = set(vars(logging.makeLogRecord({})))

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("binsight_request_id", default="")
"""The RPC or page request a log line belongs to (set by the service layer for each call)."""


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
    rid = request_id.get()
    return {"request_id": rid, **fields} if rid else fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class HumanFormatter(logging.Formatter):
    """``12:03:04 warning  face pack unusable  pack=sface error=...`` (fields shortened)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={_short(v)}" for k, v in _fields(record).items())
        line = f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.levelname.lower():7} " \
               f"{record.getMessage()}" + (f"  {fields}" if fields else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _AboveBars(logging.StreamHandler):
    """Writes through tqdm when progress bars may be on screen, so a log line never lands inside
    a bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def setup_logging(level: str = "INFO", fmt: Literal["auto", "human", "json"] = "auto") -> None:
    human = fmt == "human" or (fmt == "auto" and sys.stderr.isatty())
    handler: logging.Handler = _AboveBars(sys.stderr) if human else logging.StreamHandler(sys.stderr)
    handler.setFormatter(HumanFormatter() if human else JsonFormatter())
    root = logging.getLogger("binsight")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
