"""What every handler of the review page shares: the project, the gate, the templates, the shot
proxies, and the page's own spellings (the noise bucket's bin id, the editor's name).

The page calls the project's application services and reads ``project.view()``; it keeps no
state of its own beyond the proxy cache, so a reload always shows what the core holds.
"""

from __future__ import annotations

import getpass
import hashlib
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..app.project import Project
from ..validate import check_name
from .gate import Gate
from .proxy import ShotProxies

NOISE_BIN_ID = "noise"
"""The noise bucket on the page (``data-bin-id="noise"``); the core spells it ``None``."""

ACTOR_HEADER = "x-binsight-actor"
STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 40
"""Shot cards per page of a grid: two screens at 1440×900 (about 20 cards show at once)."""


def core_bin(bin_id: str) -> str | None:
    """A bin id from the page as the core takes it (``"noise"`` is the noise bucket)."""
    return None if bin_id == NOISE_BIN_ID else bin_id


def page_bin(cluster_id: str | None) -> str:
    return NOISE_BIN_ID if cluster_id is None else cluster_id


def _rate(rate: Fraction) -> str:
    """25 -> "25 fps", 30000/1001 -> "29.97 fps (30000/1001)"."""
    if rate.denominator == 1:
        return f"{rate.numerator} fps"
    return f"{float(rate):.3f}".rstrip("0").rstrip(".") + f" fps ({rate.numerator}/{rate.denominator})"


def asset_version() -> str:
    """A digest of the page's own static files: their URLs carry it, so browsers cache them for
    good and still fetch a changed file at once."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*.*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def default_actor() -> str:
    """Who corrects when the page was not told: the login that runs the server (the editor on
    their own machine)."""
    try:
        return getpass.getuser() or "editor"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "editor"


@dataclass
class WebContext:
    project: Project
    gate: Gate
    proxies: ShotProxies
    stopping: threading.Event = field(default_factory=threading.Event)
    fallback_actor: str = field(default_factory=default_actor)
    templates: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Environment(loader=PackageLoader("binsight.web", "templates"),
                                     autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(page_bin=page_bin, noise_bin_id=NOISE_BIN_ID, asset_version=asset_version())
        self.templates.filters.update(basename=lambda path: PurePath(path).name, fps=_rate)

    def actor(self, request: Request) -> str:
        """Whose change this is: the API token's name when the page was opened with one, else
        the editor's name the page sends (set in its header bar)."""
        token = getattr(request.state, "api_token", None)
        if token is not None:
            return token.name
        return check_name(request.headers.get(ACTOR_HEADER, ""), "the editor's name") or self.fallback_actor

    def render(self, name: str, request: Request, status: int = 200, **values: Any) -> HTMLResponse:
        versions = self.versions()
        html = self.templates.get_template(name).render(
            request=request, token=self.gate.token, actor=self.fallback_actor, versions=versions,
            faces_on=self.project.models.face_model_id != "", formats=self.project.export.formats(), **values)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def versions(self) -> dict[str, int]:
        """Versions of the two indexes: they change on every change, so a tab can tell its own
        change from someone else's."""
        return {"scenes": self.project.index.snapshot().version, "people": self.project.characters.snapshot().version}
