"""Binsight's review page: bins of thumbnails an editor corrects in a browser, served by the
server process over the same application services as the gRPC API (there is no second core).

``ReviewPage(project, address, gate).start()`` serves it; ``Gate`` guards every change (a
per-launch token, and the ``Host`` / ``Origin`` a request may come with)."""

from .gate import Gate
from .page import ReviewPage

__all__ = ["Gate", "ReviewPage"]
