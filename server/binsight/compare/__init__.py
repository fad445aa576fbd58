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
from .csv_report import to_csv
from .difference import Comparison, Difference, Kind, Side
from .edl_report import to_edl
from .json_report import to_json
from .markers import Marker, markers
from .otio_report import to_otio

__all__ = ["CompareConfig", "Comparison", "CutAnalysis", "Difference", "Kind", "Marker", "Side",
           "analyse", "compare", "markers", "to_csv", "to_edl", "to_json", "to_otio"]
