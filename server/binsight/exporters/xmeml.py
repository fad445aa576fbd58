"""Final Cut Pro 7 XML (xmeml version 5) for Premiere Pro, DaVinci Resolve and Avid via converters.

The project's bins become nested ``bin`` elements (scene bin -> character sub-bins) of ``clip``s,
each a subclip range (``in``/``out``) of its source ``file``.

Each bin also gets a ``sequence`` with its shots laid end to end — one per frame rate, since a
sequence has one rate.  Two reasons: OpenTimelineIO's ``fcp_xml`` adapter (and many other readers)
only read sequences, never loose bin clips, so the sequences are what makes the export checkable
by a third-party reader; and Resolve builds timelines from sequences, which need a ``<format>``
to be imported at all (OpenTimelineIO#839).

Every ``file`` is written in full wherever it is used (same id each time) rather than as an empty
back-reference: readers that resolve ids in traversal order (OTIO's does) would otherwise pick up
an empty reference when the full one sits in a part of the tree they skip.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count
from pathlib import Path

from lxml import etree

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.exporters import (
    ExportOptions,
    Exporter,
    clip_keyframes,
    exported_bins,
    file_url,
    group_by,
    reel_name,
    rate_key,
    register,
    safe_stem,
    write_xml,
)
from binsight.exporters.timecode import (
    frames_to_timecode,
    media_start_frames,
    ntsc_timebase,
    rate_tag,
    timecode_to_frames,
)

SEQUENCE_START = "01:00:00:00"


def _text(parent: etree._Element, tag: str, text: object) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = str(text)
    return el


def _rate(parent: etree._Element, rate: Fraction) -> None:
    timebase, ntsc = ntsc_timebase(rate)
    el = etree.SubElement(parent, "rate")
    _text(el, "timebase", timebase)
    _text(el, "ntsc", "TRUE" if ntsc else "FALSE")


def _timecode(parent: etree._Element, frames: int, rate: Fraction, drop_frame: bool, reel: str | None) -> None:
    el = etree.SubElement(parent, "timecode")
    _rate(el, rate)
    _text(el, "string", frames_to_timecode(frames, rate, drop_frame))
    _text(el, "frame", frames)
    _text(el, "displayformat", "DF" if drop_frame else "NDF")
    if reel is not None:
        _text(etree.SubElement(el, "reel"), "name", reel)


def _video_characteristics(parent: etree._Element, media: SourceMedia) -> None:
    sc = etree.SubElement(parent, "samplecharacteristics")
    _rate(sc, media.frame_rate)
    _text(sc, "width", media.width)
    _text(sc, "height", media.height)
    _text(sc, "anamorphic", "FALSE")
    _text(sc, "pixelaspectratio", "square")
    _text(sc, "fielddominance", "none")


class _Writer:
    def __init__(self) -> None:
        self._ids = {kind: count(1) for kind in ("clip", "clipitem", "sequence", "file")}
        self._file_ids: dict[str, str] = {}

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids[kind])}"

    def file(self, parent: etree._Element, media: SourceMedia) -> None:
        if media.media_id not in self._file_ids:
            self._file_ids[media.media_id] = self._id("file")
        el = etree.SubElement(parent, "file", id=self._file_ids[media.media_id])
        _text(el, "name", media.name)
        _text(el, "pathurl", file_url(media.path))
        _rate(el, media.frame_rate)
        _text(el, "duration", media.duration_frames)
        _timecode(el, media_start_frames(media), media.frame_rate, media.drop_frame, reel_name(media))
        media_el = etree.SubElement(el, "media")
        _video_characteristics(etree.SubElement(media_el, "video"), media)
        if media.has_audio:
            audio = etree.SubElement(media_el, "audio")
            sc = etree.SubElement(audio, "samplecharacteristics")
            _text(sc, "depth", 16)
            _text(sc, "samplerate", media.audio_sample_rate or 48000)
            _text(audio, "channelcount", media.audio_channels or 2)

    @staticmethod
    def markers(parent: etree._Element, clip: BinClip) -> None:
        for n, frame in enumerate(clip_keyframes(clip), 1):
            marker = etree.SubElement(parent, "marker")
            _text(marker, "name", f"Keyframe {n}")
            _text(marker, "comment", "")
            _text(marker, "in", frame)
            _text(marker, "out", -1)

    def clip(self, parent: etree._Element, clip: BinClip, bin_path: list[str]) -> None:
        """A bin clip: the whole file as master, the shot as its marked in/out."""
        el = etree.SubElement(parent, "clip", id=self._id("clip"))
        _text(el, "name", clip.name)
        _text(el, "duration", clip.media.duration_frames)
        _rate(el, clip.media.frame_rate)
        _text(el, "in", clip.start_frame)
        _text(el, "out", clip.end_frame)
        self.file(el, clip.media)
        self.markers(el, clip)
        logging = etree.SubElement(el, "logginginfo")
        _text(logging, "scene", bin_path[0])
        _text(logging, "lognote", ", ".join((*bin_path[1:], *clip.characters)))

    def sequence(self, parent: etree._Element, name: str, clips: list[BinClip]) -> None:
        first = clips[0].media
        rate, drop_frame = first.frame_rate, first.drop_frame
        total = sum(c.duration_frames for c in clips)
        seq = etree.SubElement(parent, "sequence", id=self._id("sequence"))
        _text(seq, "name", name)
        _text(seq, "duration", total)
        _rate(seq, rate)
        _timecode(seq, timecode_to_frames(SEQUENCE_START, rate, drop_frame), rate, drop_frame, None)
        video = etree.SubElement(etree.SubElement(seq, "media"), "video")
        _video_characteristics(etree.SubElement(video, "format"), first)
        track = etree.SubElement(video, "track")
        record = 0
        for clip in clips:
            item = etree.SubElement(track, "clipitem", id=self._id("clipitem"))
            _text(item, "name", clip.name)
            _text(item, "duration", clip.media.duration_frames)
            _rate(item, clip.media.frame_rate)
            _text(item, "start", record)
            _text(item, "end", record + clip.duration_frames)
            _text(item, "in", clip.start_frame)
            _text(item, "out", clip.end_frame)
            self.file(item, clip.media)
            self.markers(item, clip)
            record += clip.duration_frames

    def bin(self, parent: etree._Element, bin_: Bin, bin_path: list[str]) -> None:
        el = etree.SubElement(parent, "bin")
        _text(el, "name", bin_.name)
        children = etree.SubElement(el, "children")
        path = [*bin_path, bin_.name]
        for clip in bin_.clips:
            self.clip(children, clip, path)
        for child in bin_.children:
            self.bin(children, child, path)
        groups = group_by(bin_.clips, lambda c: rate_key(c.media))
        for (rate, drop_frame), clips in groups:
            suffix = f" ({rate_tag(rate, drop_frame)})" if len(groups) > 1 else ""
            self.sequence(children, f"{bin_.name}{suffix}", clips)


def build(binset: BinSet, options: ExportOptions) -> etree._Element:
    root = etree.Element("xmeml", version="5")
    project = etree.SubElement(root, "project")
    _text(project, "name", options.project(binset))
    children = etree.SubElement(project, "children")
    writer = _Writer()
    for bin_ in exported_bins(binset, options):
        writer.bin(children, bin_, [])
    return root


@register
class XmemlExporter(Exporter):
    format_name = "xmeml"
    extension = ".xml"
    description = "Final Cut Pro 7 XML (Premiere Pro, DaVinci Resolve)"

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{safe_stem(options.project(binset))}{self.extension}"
        write_xml(build(binset, options), path, "<!DOCTYPE xmeml>")
        return [path]
