"""Checks at the door: every value a client sends is bounded before it can reach the store.

Why here and not in the servicers: the review page and the CLI call the same services, and a
value the store cannot hold (a 3.5 MB name, a control character an XML export cannot carry, a
NaN an adapter score cannot be read back as) must be refused whoever sends it, before anything
changes.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

from .errors import InvalidInput

MAX_NAME_CHARS = 256
MAX_IDS = 10_000  # ids in one request (shots to split, bins to merge, bins to export)
MAX_PATHS = 1_000  # files and folders in one ingest request
MAX_PATH_CHARS = 4_096  # PATH_MAX on Linux
MAX_LIMIT = 10_000  # rows one list call returns
MAX_ID_CHARS = 200


def shown(text: str, limit: int = 80) -> str:
    """A user's string as an error message quotes it: short, one line, printable."""
    flat = "".join(c if c.isprintable() else "?" for c in str(text))
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def check_name(name: str, what: str = "a name") -> str:
    """A bin or person name as stored: control and format characters become spaces, runs of
    whitespace one space, ends trimmed; at most ``MAX_NAME_CHARS``. "" clears a name."""
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in name)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > MAX_NAME_CHARS:
        raise InvalidInput(f"{what} can have at most {MAX_NAME_CHARS} characters, not {len(cleaned)}")
    return cleaned


def check_id(value: str, what: str) -> str:
    if not value:
        raise InvalidInput(f"give {what}")
    if len(value) > MAX_ID_CHARS or not value.isprintable():
        raise InvalidInput(f"{what} {shown(value)} is not an id Binsight gives out")
    return value


def check_ids(values: Iterable[str], what: str, maximum: int = MAX_IDS, keep_duplicates: bool = False) -> list[str]:
    """Ids of one request, each checked, at most ``maximum``; duplicates dropped (first kept)
    unless the caller judges them (a merge naming one bin twice is refused, not shortened)."""
    values = list(values)
    if len(values) > maximum:
        raise InvalidInput(f"at most {maximum} {what} in one request, not {len(values)}")
    checked = [check_id(v, what.rstrip("s")) for v in values]
    return checked if keep_duplicates else list(dict.fromkeys(checked))


def check_paths(paths: Iterable[str]) -> list[str]:
    paths = list(paths)
    if not paths:
        raise InvalidInput("give at least one file or folder")
    if len(paths) > MAX_PATHS:
        raise InvalidInput(f"at most {MAX_PATHS} files or folders in one request, not {len(paths)}")
    for p in paths:
        if not p or not p.strip():
            raise InvalidInput("an empty path names no file (give the folder or file you mean)")
        if len(p) > MAX_PATH_CHARS:
            raise InvalidInput(f"a path can have at most {MAX_PATH_CHARS} characters, not {len(p)}")
        if "\0" in p:
            raise InvalidInput(f"the path {shown(p)} holds a NUL character")
    return paths


def check_limit(limit: int, default: int, what: str = "limit", maximum: int = MAX_LIMIT) -> int:
    """A page size: 0 means ``default``; otherwise 1..``maximum``."""
    if limit == 0:
        return default
    if limit < 0 or limit > maximum:
        raise InvalidInput(f"{what} must be between 1 and {maximum} (0: {default}), not {limit}")
    return limit


def check_number(value: float, what: str, low: float, high: float, high_open: bool = False) -> float:
    if not math.isfinite(value) or value < low or value > high or (high_open and value == high):
        bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        raise InvalidInput(f"{what} must be a number in {bound}, not {value}")
    return value
