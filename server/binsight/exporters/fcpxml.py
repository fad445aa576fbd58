"""FCPXML 1.9 / 1.10 / 1.11 for Final Cut Pro (and DaVinci Resolve's FCPXML import).

Layout "events": one event per cluster holding its shots as ``asset-clip`` browser clips, with
keyword collections for the cluster and its character sub-bins.  Layout "keywords": one event for
the project, a collection folder per cluster with its keyword collections; the shots carry the
keywords, so Final Cut shows each cluster and character as a keyword collection.

Final Cut refuses a whole document that does not match the DTD of its ``version`` (wassgha/rescript#88),
so only attributes every supported version declares are written, in the element order the DTD
requires (``media-rep`` then ``metadata`` in an asset; markers/keywords in an asset-clip), and
every time is a rational multiple of the frame duration.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from lxml import etree

from binsight.bins import BinSet, SourceMedia
from binsight.exporters import (
    ClusterShot,
    ExportOptions,
    Exporter,
    cluster_shots,
    clip_keyframes,
    exported_bins,
    file_url,
    media_of,
    reel_name,
    register,
    safe_stem,
    write_xml,
)
from binsight.exporters.timecode import media_start_frames, rational_seconds, source_frames


def keyword(name: str) -> str:
    """A keyword value holds a comma-separated list, so a comma inside a bin name would split it."""
    return re.sub(r"\s*,\s*", " ", name).strip() or "-"


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

    def format_id(self, media: SourceMedia) -> str:
        key = (media.frame_rate, media.width, media.height)
        if key not in self._formats:
            rid = self._formats[key] = self._id()
            etree.SubElement(
                self._el,
                "format",
                id=rid,
                frameDuration=rational_seconds(1, media.frame_rate),
                width=str(media.width),
                height=str(media.height),
            )
        return self._formats[key]

    def add_asset(self, media: SourceMedia) -> None:
        fmt = self.format_id(media)
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
        asset = etree.SubElement(self._el, "asset", attrs)
        etree.SubElement(asset, "media-rep", kind="original-media", src=file_url(media.path))
        # The reel travels as Final Cut's own reel metadata, so relinks by reel keep working.
        metadata = etree.SubElement(asset, "metadata")
        etree.SubElement(metadata, "md", key="com.apple.proapps.studio.reel", value=reel_name(media))

    def asset_id(self, media: SourceMedia) -> str:
        return self._assets[media.media_id]


def _asset_clip(parent: etree._Element, shot: ClusterShot, res: _Resources) -> None:
    clip, media = shot.clip, shot.clip.media
    rate = media.frame_rate
    start = source_frames(media, clip.start_frame)
    el = etree.SubElement(
        parent,
        "asset-clip",
        ref=res.asset_id(media),
        # An event is not a timeline: browser clips sit at the DTD's default offset.
        offset="0s",
        name=clip.name,
        start=rational_seconds(start, rate),
        duration=rational_seconds(clip.duration_frames, rate),
        format=res.format_id(media),
        tcFormat="DF" if media.drop_frame else "NDF",
    )
    # Children of asset-clip: (marker | keyword ...)* — both are %marker_item;, any order.
    for value in dict.fromkeys(keyword(k) for k in (*shot.keywords, *clip.characters)):
        etree.SubElement(el, "keyword", start=el.get("start"), duration=el.get("duration"), value=value)
    for n, frame in enumerate(clip_keyframes(clip), 1):
        etree.SubElement(
            el,
            "marker",
            start=rational_seconds(source_frames(media, frame), rate),
            duration=rational_seconds(1, rate),
            value=f"Keyframe {n}",
        )


def build(binset: BinSet, options: ExportOptions) -> etree._Element:
    """The FCPXML document; separate from writing so tests can validate it in memory."""
    root = etree.Element("fcpxml", version=options.fcpxml_version)
    bins = exported_bins(binset, options)
    res = _Resources(root)
    for media in media_of(bins):
        res.add_asset(media)

    if options.fcpxml_layout == "events":
        for cluster in bins:
            event = etree.SubElement(root, "event", name=cluster.name)
            shots = cluster_shots(cluster)
            for shot in shots:
                _asset_clip(event, shot, res)
            for name in dict.fromkeys(k for s in shots for k in s.keywords):
                etree.SubElement(event, "keyword-collection", name=keyword(name))
    else:
        event = etree.SubElement(root, "event", name=options.project(binset))
        for cluster in bins:
            shots = cluster_shots(cluster)
            for shot in shots:
                _asset_clip(event, shot, res)
            folder = etree.SubElement(event, "collection-folder", name=keyword(cluster.name))
            for name in dict.fromkeys(k for s in shots for k in s.keywords):
                etree.SubElement(folder, "keyword-collection", name=keyword(name))
    return root


def dtd_file_name(version: str) -> str:
    """Apple's DTD file for a version, e.g. "1.10" -> "FCPXMLv1_10.dtd"."""
    return f"FCPXMLv{version.replace('.', '_')}.dtd"


@register
class FcpxmlExporter(Exporter):
    format_name = "fcpxml"
    extension = ".fcpxml"
    description = "Final Cut Pro X / DaVinci Resolve FCPXML (1.9-1.11)"

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{safe_stem(options.project(binset))}{self.extension}"
        write_xml(build(binset, options), path, "<!DOCTYPE fcpxml>")
        return [path]
