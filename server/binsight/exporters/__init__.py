"""Exporters: one interface, one plugin module per interchange format.

Every format is an :class:`Exporter` subclass living in its own module and registered by name in
``_PLUGINS`` (like OpenTimelineIO's adapter manifest), imported only when asked for, so a broken
or slow format never costs the others anything.  All exporters take the same :class:`BinSet` and
:class:`ExportOptions` and return the files they wrote.

The bin walking, naming and file-URL rules live here once, so that every format puts the same
shot in the same cluster under the same name, reel and URL.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import ClassVar, TypeVar

from lxml import etree

from binsight.bins import Bin, BinClip, BinSet, SourceMedia

__all__ = [
    "FCPXML_VERSIONS",
    "ExportOptions",
    "Exporter",
    "ClusterShot",
    "available_formats",
    "get_exporter",
    "register",
    "exported_bins",
    "cluster_shots",
    "group_by",
    "rate_key",
    "one_line",
    "write_xml",
    "chunked",
    "media_of",
    "reel_name",
    "file_url",
    "output_stem",
    "safe_stem",
    "clip_keyframes",
]

FCPXML_VERSIONS = ("1.9", "1.10", "1.11")
"""Selectable FCPXML versions (each validated against Apple's DTD of that version).

The default is 1.11: the newest version that both current DaVinci Resolve (18.6 and later; 18.5
refuses anything above 1.10, auto-editor#367) and Final Cut Pro (10.6.6 and later) import.
1.12 is left out because Resolve 18.6 refuses it (CommandPost#3370); older hosts pick 1.10/1.9.
"""


@dataclass(frozen=True)
class ExportOptions:
    """What the user chose in the export dialog; every exporter reads only what concerns it."""

    project_name: str | None = None  # None: the BinSet's project name
    fcpxml_version: str = "1.11"
    fcpxml_layout: str = "events"  # "events": one event per cluster; "keywords": one event, keyword collections
    include_noise: bool = False
    ale_layout: str = "per_cluster"  # "per_cluster": one ALE per cluster; "single": one ALE with a Bin column

    def __post_init__(self) -> None:
        # Fail at the dialog, not half-way through writing files.
        if self.fcpxml_version not in FCPXML_VERSIONS:
            raise ValueError(f"fcpxml_version must be one of {FCPXML_VERSIONS}, not {self.fcpxml_version!r}")
        if self.fcpxml_layout not in ("events", "keywords"):
            raise ValueError(f"fcpxml_layout must be 'events' or 'keywords', not {self.fcpxml_layout!r}")
        if self.ale_layout not in ("per_cluster", "single"):
            raise ValueError(f"ale_layout must be 'per_cluster' or 'single', not {self.ale_layout!r}")

    def project(self, binset: BinSet) -> str:
        return self.project_name or binset.project


class Exporter(ABC):
    """One interchange format.  Subclasses set the class attributes and implement :meth:`write`."""

    format_name: ClassVar[str]
    extension: ClassVar[str]  # of the main files, with the dot
    description: ClassVar[str] = ""

    @abstractmethod
    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        """Write ``binset`` into ``out_dir`` (created if needed); return the files written, in order."""


# Format name -> module whose import registers it (its Exporter subclass is decorated @register).
_PLUGINS: dict[str, str] = {
    "fcpxml": "binsight.exporters.fcpxml",
    "xmeml": "binsight.exporters.xmeml",
    "edl": "binsight.exporters.edl",
    "ale": "binsight.exporters.ale",
    "otio": "binsight.exporters.otio",
    "bins_json": "binsight.exporters.bins_json",
}
_LOADED: dict[str, type[Exporter]] = {}


def register(exporter: type[Exporter]) -> type[Exporter]:
    """Register an exporter class under its ``format_name`` (usable as a class decorator)."""
    _LOADED[exporter.format_name] = exporter
    _PLUGINS.setdefault(exporter.format_name, exporter.__module__)
    return exporter


def available_formats() -> list[str]:
    return sorted(_PLUGINS)


def get_exporter(name: str) -> Exporter:
    """A fresh exporter for ``name`` (see :func:`available_formats`); KeyError names the valid ones."""
    if name not in _PLUGINS:
        raise KeyError(f"unknown export format {name!r}; available: {', '.join(available_formats())}")
    if name not in _LOADED:
        importlib.import_module(_PLUGINS[name])
    return _LOADED[name]()


# --------------------------------------------------------------------------- shared bin walking


@dataclass(frozen=True)
class ClusterShot:
    """A shot as one flat-list format (EDL, ALE, FCPXML event) sees it within its cluster."""

    clip: BinClip
    cluster: Bin  # the top-level bin (scene cluster or noise bucket)
    keywords: tuple[str, ...]  # cluster name, then the names of the sub-bins holding the shot

    @property
    def sub_bins(self) -> tuple[str, ...]:
        return self.keywords[1:]


def exported_bins(binset: BinSet, options: ExportOptions) -> list[Bin]:
    """The top-level bins to export: the noise bucket only when the user asked for it."""
    return [b for b in binset.bins if options.include_noise or b.kind != "noise"]


def _walk(bin_: Bin) -> Iterator[Bin]:
    yield bin_
    for child in bin_.children:
        yield from _walk(child)


def cluster_shots(cluster: Bin) -> list[ClusterShot]:
    """Each shot of a cluster once (flat formats have no sub-bins), in bin order, tagged with the
    names of the sub-bins it sits in so they survive as keywords / columns."""
    first: dict[str, BinClip] = {}
    holders: dict[str, list[str]] = {}
    for bin_ in _walk(cluster):
        for clip in bin_.clips:
            first.setdefault(clip.shot_id, clip)
            names = holders.setdefault(clip.shot_id, [])
            if bin_ is not cluster and bin_.name not in names:
                names.append(bin_.name)
    return [ClusterShot(c, cluster, (cluster.name, *holders[sid])) for sid, c in first.items()]


K = TypeVar("K")
T = TypeVar("T")


def group_by(items: Iterable[T], key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    """Split ``items`` by ``key``, keeping first-seen order of groups and items."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def rate_key(media: SourceMedia) -> tuple[Fraction, bool]:
    """What one EDL / ALE / sequence can carry: a single frame rate in a single DF/NDF mode."""
    return media.frame_rate, media.drop_frame


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def media_of(bins: Iterable[Bin]) -> list[SourceMedia]:
    """Every source file used by ``bins`` once, first-use order (resources are declared once)."""
    seen: dict[str, SourceMedia] = {}
    for top in bins:
        for bin_ in _walk(top):
            for clip in bin_.clips:
                seen.setdefault(clip.media.media_id, clip.media)
    return list(seen.values())


def reel_name(media: SourceMedia) -> str:
    """The source's reel/tape as the camera wrote it; the file name without extension otherwise
    (what Resolve and Media Composer show as the reel of a file without one)."""
    return media.reel or PurePosixPath(media.name).stem


_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


def file_url(path: str) -> str:
    """A proper file URL (spaces, non-ASCII, '#', '%' percent-encoded as UTF-8) for a path as it
    was recorded at ingest, which may be a Windows path when the server runs elsewhere."""
    pure = PureWindowsPath(path) if _WINDOWS_PATH.match(path) else PurePosixPath(path)
    return pure.as_uri()


def safe_stem(name: str) -> str:
    """A portable file name stem: ASCII letters, digits, '-', '_' (names come from users)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_name).strip("_")[:60] or "bins"


def output_stem(index: int, name: str) -> str:
    """File name stem for the ``index``-th bin: unique even when two bins share a name."""
    return f"{index:02d}_{safe_stem(name)}"


def clip_keyframes(clip: BinClip) -> list[int]:
    """Keyframes inside the shot, sorted and unique: a marker outside a clip is refused by NLEs."""
    return sorted({k for k in clip.keyframes if clip.start_frame <= k < clip.end_frame})


def one_line(text: str) -> str:
    """Text for line- and tab-delimited formats (EDL comments, ALE cells): whitespace runs,
    tabs and newlines included, become one space."""
    return " ".join(text.split())


def write_xml(root: etree._Element, path: Path, doctype: str) -> None:
    """UTF-8 XML with a double-quoted declaration and a DOCTYPE, as Apple's and Adobe's own
    exports start (lxml would write single quotes, which some importers refuse)."""
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    path.write_bytes(f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{body}'.encode("utf-8"))
