"""The review page's door: which requests may read the page and which may change the project.

Why a gate at all on a loopback port: any web site the editor visits can make their browser send
requests to ``http://127.0.0.1:8765``. Two checks stop that:

* ``Host`` must name this page (``127.0.0.1:PORT``, ``localhost:PORT``…). A site that points a
  DNS name of its own at 127.0.0.1 (DNS rebinding) sends its own name and is refused, so it can
  never read a response, the token included.
* A mutation must also carry the per-launch token (header ``X-Binsight-Token``), which only a
  page served by this process holds, and its ``Origin`` (when the browser sends one, as every
  browser does on a POST) must be this page's. A cross-site form or ``fetch`` has neither.

Reads need only the ``Host`` check: the gRPC port they mirror is open to the same loopback
callers. The token changes at every launch, so a tab left open across a restart is told to
reload instead of writing with stale ids.

The lead extends this class with API tokens (``Authorization: Bearer``) for non-loopback use;
every decision goes through ``admit``, the one place to add such a check.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..access import Access, allows
from ..records import TokenRecord, TokenScope

TOKEN_HEADER = "x-binsight-token"
TOKEN_COOKIE = "binsight_token"
LOGIN_PATH = "/login"

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""Names a browser on this machine may use for a loopback page."""


class Refused(Exception):
    """A request the gate turns away, with the status to answer and a reason a person can act on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Gate:
    """The mutation guard: a per-launch token and the ``Host`` / ``Origin`` values allowed.

    ``hosts`` are ``host:port`` values (lower case); ``ReviewPage.start`` adds the loopback names
    with the bound port through ``allow_loopback``, since with port 0 the port is known only
    after binding."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    hosts: set[str] = field(default_factory=set)
    access: Access | None = None  # API tokens (binsight tokens add)
    required: bool = False  # a valid API token on every request (off loopback, or require_token)
    scheme: str = "http"

    def allow_loopback(self, port: int) -> None:
        self.hosts.update(f"{name}:{port}" for name in LOOPBACK_NAMES)

    def allow(self, host: str, port: int) -> None:
        """Accept ``host:port`` too (the address the page is bound to when it is not loopback)."""
        self.hosts.add(f"{host.lower()}:{port}")

    def admit(self, headers: Mapping[str, str], write: bool, path: str = "") -> TokenRecord | None:
        """Raise ``Refused`` unless a request with these headers (lower-case names) may read,
        or with ``write`` change, the project; returns the API token it carries (its name is the
        editor on every change), None on an open loopback page without one."""
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            raise Refused(403, f"this page answers only as {self._names()}, not {host or 'a request without Host'}: "
                               f"open it with `binsight open`")
        api = self._api_token(headers)
        if api is None and self.required and path not in (LOGIN_PATH, "/healthz"):
            raise Refused(401, f"this page needs an API token: open {LOGIN_PATH}?token=YOUR_TOKEN once "
                               f"(its admin makes one with `binsight tokens add NAME`)")
        if not write:
            return api
        if api is not None and not allows(api.scope, TokenScope.WRITE):
            raise Refused(403, f"token {api.name!r} may read, not change the bins")
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in {f"{self.scheme}://{h}" for h in self.hosts}:
            raise Refused(403, f"a change from another site ({origin}) is refused: make it on the review page itself")
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise Refused(403, "a change requested by another site is refused: make it on the review page itself")
        token = headers.get(TOKEN_HEADER, "")
        if not token:
            raise Refused(403, f"a change needs the page's token (header {TOKEN_HEADER}): make it on the review page")
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            raise Refused(403, "this page is from an earlier launch of the server (its token is stale): "
                               "reload the page")
        return api

    def _api_token(self, headers: Mapping[str, str]) -> TokenRecord | None:
        """The API token of a request: ``Authorization: Bearer`` or the login cookie. A token sent
        and not valid is refused, never treated as none."""
        secret = ""
        auth = headers.get("authorization", "")
        if auth.startswith("Bearer "):
            secret = auth[len("Bearer "):].strip()
        else:
            for part in headers.get("cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == TOKEN_COOKIE:
                    secret = value
        if not secret or self.access is None:
            return None
        token = self.access.authenticate(secret)
        if token is None:
            raise Refused(401, f"the API token is not valid (revoked, or mistyped): open {LOGIN_PATH}?token=... "
                               f"with a valid one")
        return token

    def _names(self) -> str:
        return ", ".join(sorted(self.hosts)) or "(not bound yet)"
