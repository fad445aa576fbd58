"""Export the chosen bins as a download, in any format the export service offers.

The export service renders files in memory (``out_dir=""``); one file is sent as it is, several
(EDL writes one per bin) as a zip. Nothing is written on the server.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import InvalidInput
from ..validate import check_ids, check_name
from .context import WebContext, core_bin

_TYPES = {".xml": "application/xml", ".fcpxml": "application/xml", ".json": "application/json",
          ".edl": "text/plain", ".ale": "text/plain", ".otio": "application/json"}


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


class Downloads:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.project = ctx.project

    def routes(self) -> list[Route]:
        return [Route("/export", self.export)]

    def export(self, request: Request) -> Response:
        params = request.query_params
        fmt = params.get("format", "")
        if not fmt:
            raise InvalidInput(f"choose a format ({', '.join(self.project.export.formats())})")
        bins = [core_bin(b) for b in check_ids(params.getlist("bin"), "bin ids")]
        name = check_name(params.get("name", ""), "the project name")
        outcome = self.project.export.export(fmt, bins, include_noise=params.get("noise", "1") == "1",
                                             project_name=name)
        headers = {"Cache-Control": "no-store"}
        if outcome.warnings:  # the page shows them beside the download
            headers["X-Binsight-Warnings"] = " | ".join(outcome.warnings).encode("ascii", "replace").decode()[:4000]
        if len(outcome.files) == 1:
            (file,) = outcome.files
            suffix = "." + file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
            return Response(file.data, media_type=_TYPES.get(suffix, "application/octet-stream"),
                            headers={**headers, "Content-Disposition": _attachment(file.name)})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in outcome.files:
                archive.writestr(file.name, file.data)
        stem = name or self.project.config.data_dir.name or "binsight"
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={**headers, "Content-Disposition": _attachment(f"{stem}-{fmt}.zip")})
