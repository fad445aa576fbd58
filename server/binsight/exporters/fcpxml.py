"""FCPXML 1.9 / 1.10 / 1.11 for Final Cut Pro (and DaVinci Resolve's FCPXML import).

Each top-level bin (scene, person, noise) becomes browser clips *and* a timeline:

* layout "events": one event per top-level bin holding its shots as ``asset-clip`` browser clips,
  keyword collections for the bin and its sub-bins, and the bin's project;
* layout "keywords": one event for the project holding every shot once, tagged with the names
  of every bin that holds it, a collection folder of keyword collections per scene bin, a
  keyword collection per person, and a project per bin.

A project is a ``sequence`` whose ``spine`` lays the bin's shots end to end from 01:00:00:00:
Resolve's File > Import > Timeline builds timelines from projects only, so without them it finds
nothing to import. A sequence has one rate: the most common SMPTE rate among the bin's shots (a
10 fps source sits in the nearest SMPTE timeline); a shot of another rate keeps its exact source
range and its length in the timeline is the nearest whole number of timeline frames, with a
warning naming the bin.

Final Cut refuses a whole document that does not match the DTD of its ``version`` (wassgha/rescript#88),
so only attributes every supported version declares are written, in the element order the DTD
requires (``media-rep`` then ``metadata`` in an asset; markers/keywords in an asset-clip), and
every time is a rational multiple of a frame duration. Text XML cannot hold (control characters
in a name) is replaced by a space.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from lxml import etree

from binsight.bins import Bin, BinKind, BinSet, Slate, SourceMedia
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, FormatOptions, choice, register
from binsight.exporters.conform import DROP_FRAME_RATES, nearest_smpte
from binsight.exporters.naming import file_url, reel_name, safe_stem, xml_bytes, xml_text
from binsight.exporters.timecode import (
    media_start_frames,
    rate_label,
    rational_seconds,
    source_frames,
    timecode_to_frames,
)
from binsight.exporters.walk import ClusterShot, all_shots, clip_keyframes, cluster_shots, exported_bins, media_of

FCPXML_VERSIONS = ("1.11", "1.10", "1.9")
"""Selectable FCPXML versions (each validated against Apple's DTD of that version), default first.

The default is 1.11: the newest version that both current DaVinci Resolve (18.6 and later; 18.5
refuses anything above 1.10, auto-editor#367) and Final Cut Pro (10.6.6 and later) import.
1.12 is left out because Resolve 18.6 refuses it (CommandPost#3370); older hosts pick 1.10/1.9.
"""
TIMELINE_START = "01:00:00:00"


def keyword(name: str) -> str:
    """A keyword value holds a comma-separated list, so a comma inside a bin name would split it."""
    return re.sub(r"\s*,\s*", " ", name).strip() or "-"


def _sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})


class _Resources:
    """Declares one ``format`` per (rate, size) and one ``asset`` per source file, in that order."""

    def __init__(self, parent: etree._Element) -> None:
        self._el = etree.SubElement(parent, "resources")
        self._formats: dict[tuple[Fraction, int, int], str] = {}
        self._assets: dict[str, str] = {}
        self._next = 1

    def _id(self) -> str:
        rid = f"r{self._next}"
        self._next += 1
        return rid

    def format_id(self, rate: Fraction, width: int, height: int) -> str:
        key = (rate, width, height)
        if key not in self._formats:
            rid = self._formats[key] = self._id()
            _sub(self._el, "format", id=rid, frameDuration=rational_seconds(1, rate), width=str(width),
                 height=str(height))
        return self._formats[key]

    def media_format(self, media: SourceMedia) -> str:
        return self.format_id(media.frame_rate, media.width, media.height)

    def add_asset(self, media: SourceMedia) -> None:
        fmt = self.media_format(media)
        rid = self._assets[media.media_id] = self._id()
        attrs = {
            "id": rid,
            "name": media.name,
            "start": rational_seconds(media_start_frames(media), media.frame_rate),
            "duration": rational_seconds(media.duration_frames, media.frame_rate),
            "hasVideo": "1",
            "format": fmt,
            "hasAudio": "1" if media.has_audio else "0",
        }
        if media.has_audio:
            attrs["audioSources"] = "1"
            if media.audio_channels:
                attrs["audioChannels"] = str(media.audio_channels)
            if media.audio_sample_rate:
                attrs["audioRate"] = str(media.audio_sample_rate)
        asset = _sub(self._el, "asset", **attrs)
        _sub(asset, "media-rep", kind="original-media", src=file_url(media.path))
        # The reel travels as Final Cut's own reel metadata, so relinks by reel keep working.
        metadata = etree.SubElement(asset, "metadata")
        _sub(metadata, "md", key="com.apple.proapps.studio.reel", value=reel_name(media))

    def asset_id(self, media: SourceMedia) -> str:
        return self._assets[media.media_id]


def _slate_metadata(slate: Slate) -> tuple[tuple[str, str], ...]:
    """Final Cut's metadata keys for a clip's slate (its inspector's Scene, Take, Camera Angle)."""
    return (("com.apple.proapps.studio.scene", slate.scene), ("com.apple.proapps.studio.shot", slate.take),
            ("com.apple.proapps.studio.angle", slate.camera_angle))


def _asset_clip(parent: etree._Element, shot: ClusterShot, res: _Resources, offset: str = "0s",
                duration: str | None = None, with_keywords: bool = True) -> None:
    """A shot as an ``asset-clip``: a browser clip at the DTD's default offset (an event is not a
    timeline), or a spine clip at ``offset`` lasting ``duration`` in sequence time."""
    clip, media = shot.clip, shot.clip.media
    rate = media.frame_rate
    start = rational_seconds(source_frames(media, clip.start_frame), rate)
    own_duration = rational_seconds(clip.duration_frames, rate)
    el = _sub(parent, "asset-clip", ref=res.asset_id(media), offset=offset, name=clip.name, start=start,
              duration=duration or own_duration, format=res.media_format(media),
              tcFormat="DF" if media.drop_frame else "NDF")
    # Children of asset-clip: (marker | keyword ...)* — both are %marker_item;, any order.
    if with_keywords:
        for value in dict.fromkeys(keyword(k) for k in (*shot.keywords, *clip.characters)):
            _sub(el, "keyword", start=start, duration=own_duration, value=value)
    for n, frame in enumerate(clip_keyframes(clip), 1):
        _sub(el, "marker", start=rational_seconds(source_frames(media, frame), rate), duration=rational_seconds(1, rate),
             value=f"Keyframe {n}")
    # The slate as Final Cut's own Scene / Take / Camera Angle fields (``metadata`` comes last).
    slate_fields = [(key, value) for key, value in _slate_metadata(clip.slate) if value]
    if slate_fields:
        metadata = etree.SubElement(el, "metadata")
        for key, value in slate_fields:
            _sub(metadata, "md", key=key, value=value)


def _project(parent: etree._Element, bin_: Bin, res: _Resources) -> str | None:
    """The bin's timeline; a warning when shots of other rates had to be fitted to its frames."""
    shots = cluster_shots(bin_)
    if not shots:
        return None
    rates = Counter(nearest_smpte(s.clip.media.frame_rate) for s in shots)
    rate = max(rates, key=lambda r: (rates[r], -list(rates).index(r)))
    first = next(s.clip.media for s in shots if nearest_smpte(s.clip.media.frame_rate) == rate)
    drop_frame = first.drop_frame and rate in DROP_FRAME_RATES
    record = timecode_to_frames(TIMELINE_START, rate, drop_frame)
    lengths = [round(s.clip.duration_frames * rate / s.clip.media.frame_rate) for s in shots]
    project = _sub(parent, "project", name=bin_.name)
    sequence = _sub(project, "sequence", format=res.format_id(rate, first.width, first.height),
                    duration=rational_seconds(sum(lengths), rate), tcStart=rational_seconds(record, rate),
                    tcFormat="DF" if drop_frame else "NDF")
    spine = etree.SubElement(sequence, "spine")
    for shot, length in zip(shots, lengths):
        _asset_clip(spine, shot, res, offset=rational_seconds(record, rate), duration=rational_seconds(length, rate),
                    with_keywords=False)
        record += length
    refitted = sum(1 for s in shots if s.clip.media.frame_rate != rate)
    if not refitted:
        return None
    return (f"timeline {bin_.name!r} runs at {rate_label(rate)} fps: {refitted} shot(s) of other rates keep their "
            f"source range and last the nearest whole number of its frames")


def _keyword_collections(parent: etree._Element, names: list[str], declared: set[str]) -> None:
    for name in dict.fromkeys(keyword(n) for n in names):
        if name not in declared:
            declared.add(name)
            _sub(parent, "keyword-collection", name=name)


def build(binset: BinSet, options: ExportOptions, version: str = FCPXML_VERSIONS[0],
          layout: str = "events") -> tuple[etree._Element, list[str]]:
    """The FCPXML document and its warnings; separate from rendering so tests can validate it in memory."""
    root = etree.Element("fcpxml", version=version)
    bins = exported_bins(binset, options.include_noise)
    res = _Resources(root)
    for media in media_of(bins):
        res.add_asset(media)
    warnings: list[str] = []

    if layout == "events":
        for top in bins:
            event = _sub(root, "event", name=top.name)
            shots = cluster_shots(top)
            for shot in shots:
                _asset_clip(event, shot, res)
            _keyword_collections(event, [k for s in shots for k in s.keywords], set())
            warnings.append(_project(event, top, res) or "")
    else:
        event = _sub(root, "event", name=options.project(binset))
        for shot in all_shots(bins):
            _asset_clip(event, shot, res)
        declared: set[str] = set()
        for top in bins:
            if top.kind is BinKind.CHARACTER:
                _keyword_collections(event, [top.name], declared)
            else:
                folder = _sub(event, "collection-folder", name=keyword(top.name))
                _keyword_collections(folder, [k for s in cluster_shots(top) for k in s.keywords], declared)
        for top in bins:
            warnings.append(_project(event, top, res) or "")
    return root, [w for w in warnings if w]


def dtd_file_name(version: str) -> str:
    """Apple's DTD file for a version, e.g. "1.10" -> "FCPXMLv1_10.dtd"."""
    return f"FCPXMLv{version.replace('.', '_')}.dtd"


@register
class FcpxmlExporter(Exporter):
    format_name = "fcpxml"
    extension = ".fcpxml"
    description = "Final Cut Pro X / DaVinci Resolve FCPXML (1.9-1.11)"

    @dataclass(frozen=True)
    class Options(FormatOptions):
        version: str = choice(*FCPXML_VERSIONS)
        layout: str = choice("events", "keywords")  # events: one event per bin; keywords: one event, collections

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        root, warnings = build(binset, options, self.options.version, self.options.layout)
        name = f"{safe_stem(options.project(binset))}{self.extension}"
        return ExportResult((ExportedFile(name, xml_bytes(root, "<!DOCTYPE fcpxml>")),), tuple(warnings))
