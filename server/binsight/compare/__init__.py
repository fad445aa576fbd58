"""Compare two versions of a cut and list what changed.

``analyse(path)`` decodes a file once into a :class:`CutAnalysis` (shots plus per-frame
fingerprints; cache it with ``save``/``load``); ``compare(a, b, config)`` aligns B's shots
against A's and names every difference (inserted, deleted, moved, replaced, changed, trimmed);
the writers render a :class:`Comparison` as JSON, CSV, a CMX 3600 change EDL, OTIO, or the
neutral markers a Resolve panel places.
"""

from .analysis import CutAnalysis, analyse
from .comparison import compare
from .config import CompareConfig
from .difference import Comparison, Difference, Kind, Side

__all__ = ["CompareConfig", "Comparison", "CutAnalysis", "Difference", "Kind", "Side", "analyse",
           "compare"]
