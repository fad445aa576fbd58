"""Which Resolve is running, what it allows, and the message for editions that cannot run the
panels.

The edition is read with ``GetProductName()`` before anything else: on the free edition,
touching ``fusion.UIManager`` (None since 19.1) or a Studio-only call raises a modal upsell
dialog that also makes later, unrelated calls fail until someone dismisses it. So on free the
panel makes no call beyond the product name and version and only prints a plain message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

Version = Tuple[int, int, int]

MIN_RESOLVE: Version = (18, 0, 0)
"""``MediaPoolItem.GetUniqueId`` and ``Folder.GetUniqueId`` first appear in the 18.0 README; the
panels key every clip and folder by them."""

SELECTION_SINCE: Version = (19, 0, 2)
"""``MediaPool.GetSelectedClips`` first appears in the README of 20 Sep 2024 (19.0.2)."""

EXCLUSIVE_END_SINCE: Version = (19, 0, 0)
"""``AppendToTimeline``'s ``endFrame`` is exclusive on 19.1 and 21.0 (measured by others); 18.6
treated it differently (nakano000/Resolve_Script#23, which supports both). Before 19 the panel
passes the last frame itself; either way it reads the timeline back and reports any difference."""


@dataclass(frozen=True)
class Edition:
    product: str
    version: Version

    @property
    def studio(self) -> bool:
        return "studio" in self.product.lower()

    def at_least(self, version: Version) -> bool:
        return self.version >= version

    @property
    def label(self) -> str:
        return f"{self.product or 'DaVinci Resolve'} {'.'.join(str(v) for v in self.version)}"


def detect(resolve: Any) -> Edition:
    """Product name and [major, minor, patch] from the live ``resolve`` object; two calls that
    every edition answers without a dialog."""
    product = str(resolve.GetProductName() or "")
    raw = resolve.GetVersion() or []
    numbers = [int(v) for v in list(raw)[:3] if isinstance(v, int) or (isinstance(v, str) and v.isdigit())]
    while len(numbers) < 3:
        numbers.append(0)
    return Edition(product, (numbers[0], numbers[1], numbers[2]))


def has_call(obj: Any, name: str) -> bool:
    """Whether a Resolve object offers ``name``. ``hasattr`` is always True on Resolve objects
    (the bridge fabricates a callable for any name), so only ``dir()`` tells."""
    try:
        return name in dir(obj)
    except Exception:  # a bridge object that cannot list itself
        return False


def free_message(edition: Edition, review_url: str) -> str:
    """The one plain message an edition without the panels gets, naming what works instead."""
    return (
        f"Binsight: the Resolve panels need DaVinci Resolve Studio; this is {edition.label}.\n"
        f"Blackmagic removed script windows (UIManager) from the free edition in 19.1 and moved "
        f"Python scripting to Studio in 21.1, so nothing more runs here.\n"
        f"What works on every edition:\n"
        f"  1. Review and correct the bins in the browser: {review_url} (start the server with "
        f"`binsight serve` if the page does not open).\n"
        f"  2. Export the bins with `binsight export --format fcpxml --out <folder>` (or xmeml, "
        f"edl, otio) and bring them in with File > Import > Timeline.")


def old_message(edition: Edition) -> str:
    return (f"Binsight: the Resolve panels need Resolve Studio "
            f"{'.'.join(str(v) for v in MIN_RESOLVE)} or later (they key clips and bins by "
            f"GetUniqueId, added in 18.0); this is {edition.label}. Update Resolve, or use the "
            f"review page and file import of the exports.")
