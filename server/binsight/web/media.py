"""Pictures and video for the page: keyframe thumbnails, face crops, the source file with HTTP
range requests, and shot proxies for sources a browser cannot play.

Images come from the ingest service (the same bytes GetKeyframeImage sends). Ids are never
reused for other content, so images are cacheable for good and the grid's lazy thumbnails
cost one request each, once.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..app.ingest import ImageView
from ..errors import NotFound, Unavailable
from ..validate import check_id, shown
from .context import WebContext
from .proxy import browser_type, plays_in_browser

FOREVER = "public, max-age=31536000, immutable"


def _image(image: ImageView) -> Response:
    return Response(image.data, media_type=image.mime_type, headers={"Cache-Control": FOREVER})


class Media:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.project = ctx.project

    def routes(self) -> list[Route]:
        return [Route("/keyframes/{keyframe_id}.jpg", self.keyframe), Route("/faces/{face_id}.jpg", self.face),
                Route("/media/{media_id}/source", self.source), Route("/shots/{shot_id}/play", self.play),
                Route("/shots/{shot_id}/proxy.mp4", self.proxy)]

    def keyframe(self, request: Request) -> Response:
        keyframe_id = check_id(request.path_params["keyframe_id"], "a keyframe id")
        return _image(self.project.ingest.keyframe_image(keyframe_id, thumbnail=request.query_params.get("full") != "1"))

    def face(self, request: Request) -> Response:
        return _image(self.project.ingest.face_image(check_id(request.path_params["face_id"], "a face id")))

    def source(self, request: Request) -> Response:
        """The whole source file; the browser asks for ranges of it (Starlette answers Range)."""
        media = self.project.ingest.get_media(check_id(request.path_params["media_id"], "a media id"))
        if not Path(media.path).is_file():
            raise Unavailable(f"{media.path} is not there any more (moved, or on a drive that is not mounted)")
        return FileResponse(media.path, media_type=browser_type(media), headers={"Cache-Control": "no-cache"})

    def play(self, request: Request) -> Response:
        """How to play a shot: its source with the shot's range, or its proxy when the browser
        cannot play the source (``?proxy=1``: the browser tried the source and failed)."""
        shot, media = self._shot(request)
        proxy = request.query_params.get("proxy") == "1" or not plays_in_browser(media)
        if proxy:
            return JSONResponse({"src": f"/shots/{shot.shot_id}/proxy.mp4", "start": 0.0,
                                 "end": None, "proxy": True, "codec": media.codec})
        return JSONResponse({"src": f"/media/{media.media_id}/source", "start": shot.start_s, "end": shot.end_s,
                             "proxy": False, "codec": media.codec})

    def proxy(self, request: Request) -> Response:
        shot, media = self._shot(request)
        path = self.ctx.proxies.proxy(shot, media)
        return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": FOREVER})

    def _shot(self, request: Request):
        shot_id = check_id(request.path_params["shot_id"], "a shot id")
        catalog = self.project.catalog.snapshot()
        shot = catalog.shots.get(shot_id)
        if shot is None:
            raise NotFound(f"no shot with id {shown(shot_id)}")
        return shot, catalog.media_of(shot)
