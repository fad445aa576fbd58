"""Who may use a server and what it may read: API tokens and media roots, kept as two small files
in the data dir (``access/tokens.json``, ``access/roots.json``, mode 0600).

Why files and not the database: the authority to change them is the authority over the data
dir itself. ``binsight tokens add`` and ``binsight roots add`` run as the data dir's owner and
write these files; a client of the server, even on loopback, has no call that changes them. The
server re-reads a file when it changes, so a token revoked is refused at the next call.

Tokens are stored as SHA-256 hashes of high-entropy secrets (never the secret: the seed's SQLite
table of keys in plain text is what this replaces). Media roots are folders resolved when added;
a path is checked after its own resolution (symlinks, ``..``), and an error never says whether a
file outside the roots exists.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

from .clock import utcnow
from .errors import InvalidInput, NotFound, PermissionDenied
from .records import MediaRootRecord, TokenRecord, TokenScope

TOKEN_PREFIX = "bst_"
_SCOPE_RANK = {TokenScope.READ: 0, TokenScope.WRITE: 1, TokenScope.ADMIN: 2}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def allows(granted: TokenScope, needed: TokenScope) -> bool:
    return _SCOPE_RANK[granted] >= _SCOPE_RANK[needed]


class _JsonFile:
    """A list of records in a 0600 file, re-read when its mtime changes, written atomically under
    an exclusive lock (two CLI runs at once never lose each other's change)."""

    def __init__(self, path: Path, record: type) -> None:
        self.path = path
        self.record = record
        self._mtime = -1
        self._rows: list = []
        self._lock = threading.Lock()

    def rows(self) -> list:
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime_ns
            except FileNotFoundError:
                self._mtime, self._rows = -1, []
                return []
            if mtime != self._mtime:
                data = json.loads(self.path.read_text() or "[]")
                self._rows = [self._decode(row) for row in data]
                self._mtime = mtime
            return list(self._rows)

    def _decode(self, row: dict):
        if self.record is TokenRecord:
            row = {**row, "scope": TokenScope(row["scope"])}
        return self.record(**row)

    @contextlib.contextmanager
    def editing(self) -> Iterator[list]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_suffix(".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._mtime = -1
            rows = self.rows()
            yield rows
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump([asdict(r) for r in rows], f, indent=1)
            os.replace(tmp, self.path)
            self._mtime = -1


class Access:
    def __init__(self, data_dir: Path) -> None:
        folder = data_dir / "access"
        self._tokens = _JsonFile(folder / "tokens.json", TokenRecord)
        self._roots = _JsonFile(folder / "roots.json", MediaRootRecord)

    # -- tokens ------------------------------------------------------------------------------------
    def tokens(self) -> list[TokenRecord]:
        return self._tokens.rows()

    def has_tokens(self) -> bool:
        return any(not t.revoked_at for t in self.tokens())

    def add_token(self, name: str, scope: TokenScope) -> str:
        """A new token: returns its secret, shown once (only its hash is kept)."""
        if not name or len(name) > 64 or not all(c.isalnum() or c in "-_.@" for c in name):
            raise InvalidInput("a token name is 1-64 letters, digits, '-', '_', '.' or '@' (it is the editor's "
                               "name on their corrections)")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._tokens.editing() as rows:
            if any(t.name == name and not t.revoked_at for t in rows):
                raise InvalidInput(f"a token named {name!r} exists: revoke it first or pick another name")
            rows[:] = [t for t in rows if t.name != name]
            rows.append(TokenRecord(name, scope, _hash(secret), utcnow(), ""))
        return secret

    def revoke_token(self, name: str) -> None:
        with self._tokens.editing() as rows:
            if not any(t.name == name and not t.revoked_at for t in rows):
                raise NotFound(f"no valid token named {name!r}")
            rows[:] = [replace(t, revoked_at=utcnow()) if t.name == name else t for t in rows]

    def authenticate(self, secret: str) -> TokenRecord | None:
        """The valid token with this secret, or None."""
        digest = _hash(secret)
        for token in self.tokens():
            if not token.revoked_at and hmac.compare_digest(token.secret_hash, digest):
                return token
        return None

    # -- media roots -------------------------------------------------------------------------------
    def roots(self) -> list[MediaRootRecord]:
        return self._roots.rows()

    def add_root(self, folder: str, added_by: str) -> MediaRootRecord:
        path = Path(folder).expanduser().resolve()
        if not path.is_dir():
            raise InvalidInput(f"{folder}: not a folder")
        with self._roots.editing() as rows:
            existing = next((r for r in rows if r.path == str(path)), None)
            if existing:
                return existing
            row = MediaRootRecord(str(path), utcnow(), added_by)
            rows.append(row)
        return row

    def remove_root(self, folder: str) -> None:
        path = str(Path(folder).expanduser().resolve())
        with self._roots.editing() as rows:
            if not any(r.path == path for r in rows):
                raise NotFound(f"{folder} is not a media root (see `binsight roots list`)")
            rows[:] = [r for r in rows if r.path != path]

    def readable(self, path: str) -> Path:
        """``path`` resolved, if it lies under a media root; else PermissionDenied that names
        neither the file's existence nor anything about it."""
        resolved = Path(path).expanduser().resolve()
        for root in self.roots():
            if resolved == Path(root.path) or resolved.is_relative_to(root.path):
                return resolved
        roots = [r.path for r in self.roots()]
        raise PermissionDenied(
            "that path is outside the media roots of this server"
            + (f" ({', '.join(roots)})" if roots else " (none is set)")
            + ": add its folder with `binsight roots add FOLDER` on the server's machine")
