"""CompareService: what changed between two versions of a cut.

Each side is a video file (under the media roots) or an ingested media id. A file is analysed
once (shots and per-frame fingerprints, ``binsight.compare``) and the analysis kept in the data
dir next to the keyframes, so thresholds change per request without a new decode; a file that
changed since is analysed again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from ..access import Access
from ..catalog import Catalog
from ..compare import (CompareConfig, Comparison, CutAnalysis, Difference, Marker, analyse, compare, markers, to_csv,
                       to_edl, to_json, to_otio)
from ..errors import InvalidInput
from ..validate import check_number, shown

log = logging.getLogger(__name__)

REPORTS = {"json": (to_json, ".json"), "csv": (to_csv, ".csv"), "edl": (to_edl, ".edl"), "otio": (to_otio, ".otio")}


@dataclass(frozen=True)
class CompareOutcome:
    a_path: str
    b_path: str
    differences: tuple[Difference, ...]
    unchanged: int
    warnings: tuple[str, ...]
    markers: tuple[Marker, ...]
    report: bytes = b""
    report_name: str = ""


class CompareService:
    def __init__(self, access: Access, catalog: Catalog, cache: Path) -> None:
        self.access = access
        self.catalog = catalog
        self.cache = cache
        self._lock = threading.Lock()  # one analysis at a time: each decodes a whole file

    def compare(self, a: str, b: str, report_format: str = "", match_threshold: float = 0.0,
                changed_structure: float = 0.0, changed_colour: float = 0.0) -> CompareOutcome:
        if report_format and report_format not in REPORTS:
            raise InvalidInput(f"report format {shown(report_format)}: choose one of {', '.join(REPORTS)} "
                               f"(or none)")
        defaults = CompareConfig()
        config = replace(defaults,
                         match_threshold=_setting(match_threshold, defaults.match_threshold, "match_threshold"),
                         changed_structure=_setting(changed_structure, defaults.changed_structure, "changed_structure"),
                         changed_colour=_setting(changed_colour, defaults.changed_colour, "changed_colour"))
        first, second = self._analysis(a, "A"), self._analysis(b, "B")
        result = compare(first, second, config)
        report, name = b"", ""
        if report_format:
            write, suffix = REPORTS[report_format]
            report, name = write(result).encode(), f"{Path(first.path).stem}_vs_{Path(second.path).stem}{suffix}"
        log.info("compared", extra={"a": first.path, "b": second.path, "differences": len(result.differences)})
        return _outcome(result, report, name)

    def _analysis(self, ref: str, side: str) -> CutAnalysis:
        if not ref:
            raise InvalidInput(f"give version {side}: an ingested media id or a video file's path")
        media = self.catalog.snapshot().media.get(ref)
        path = self.access.readable(media.path if media else ref)
        if not path.is_file():
            raise InvalidInput(f"version {side}, {shown(ref)}: no such file (give a video file or an ingested media id)")
        cached = self.cache / f"{hashlib.blake2b(str(path).encode(), digest_size=8).hexdigest()}.npz"
        with self._lock:
            if cached.is_file():
                try:
                    analysis = CutAnalysis.load(cached)
                    if analysis.is_current():
                        return analysis
                except (OSError, ValueError, KeyError, InvalidInput):
                    log.warning("unreadable compare analysis, made again", extra={"path": str(cached)})
            analysis = analyse(str(path))
            self.cache.mkdir(parents=True, exist_ok=True)
            analysis.save(cached)
            return analysis


def _setting(value: float, default: float, name: str) -> float:
    return default if value == 0 else check_number(value, name, 0.0, 1.0)


def _outcome(c: Comparison, report: bytes, name: str) -> CompareOutcome:
    return CompareOutcome(c.a.path, c.b.path, c.differences, len(c.unchanged), c.warnings, tuple(markers(c)),
                          report, name)
