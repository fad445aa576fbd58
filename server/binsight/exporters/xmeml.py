"""Final Cut Pro 7 XML (xmeml version 5) for Premiere Pro, DaVinci Resolve, OpenShot and Avid via
converters.

Every top-level bin (scene, person, noise) becomes a ``bin``, scene bins holding their character
sub-bins. Each bin holds, in this order:

* a ``sequence`` of its shots laid end to end, one per frame rate (a sequence has one rate).
  OpenTimelineIO's ``fcp_xml`` adapter and many other readers only read sequences, and Resolve
  builds timelines from them; each has a ``<format>``, without which Resolve ignores it
  (OpenTimelineIO#839), and its tracks carry ``<enabled>``/``<locked>`` as FCP 7 and Premiere
  always write them (OpenShot's importer fails on a track without ``<locked>``). Shots with
  sound get audio tracks, one per channel, linked to their video as Premiere links them;
* a ``clip`` per shot (the shot as a subclip: ``in``/``out`` on the whole file), its ``file``
  inside its media track's ``clipitem`` as FCP 7 writes bin clips, with the slate in
  ``logginginfo`` (scene, shottake) and ``comments`` (camroll, camera);
* its sub-bins.

Each ``file`` is written in full once, at its first use, and by ``id`` alone after that: a full
copy at every use is reported to make Resolve drop clips. The first use in document order is
always in a sequence, because each bin lists its sequences before its clips and sub-bins, so
readers that resolve ids in the order they meet them and only visit sequences (OTIO's does)
find the full file first. ``<pathurl>`` is a ``file://localhost/`` URL, as FCP 7 writes it.

FCP 7 rates are a whole ``timebase`` with an NTSC flag; sources at other rates (a phone's
variable 3840000/239239 fps) are conformed to the nearest such rate, with a warning (see ``conform``).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count

from lxml import etree

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, register
from binsight.exporters.conform import FCP7_RULE, conform
from binsight.exporters.naming import localhost_url, reel_name, safe_stem, xml_bytes, xml_text
from binsight.exporters.timecode import (
    frames_to_timecode,
    media_start_frames,
    ntsc_timebase,
    rate_tag,
    timecode_to_frames,
)
from binsight.exporters.walk import clip_keyframes, exported_bins, group_by, rate_key

SEQUENCE_START = "01:00:00:00"
AUDIO_DEPTH = 16


def _text(parent: etree._Element, tag: str, text: object) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = xml_text(str(text))
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


def _channels(media: SourceMedia) -> int:
    return (media.audio_channels or 2) if media.has_audio else 0


def _track(parent: etree._Element, attrs: dict[str, str] | None = None) -> etree._Element:
    return etree.SubElement(parent, "track", attrs or {})


def _close_track(track: etree._Element) -> None:
    """``enabled`` and ``locked`` follow the track's items, as FCP 7 and Premiere write them."""
    _text(track, "enabled", "TRUE")
    _text(track, "locked", "FALSE")


def _audio_track_attrs(index: int, total: int) -> dict[str, str]:
    # Premiere's stereo-pair attributes: OTIO's reader keeps the pair as one track.
    return {"currentExplodedTrackIndex": str(index), "totalExplodedTrackCount": str(total)}


class _Writer:
    def __init__(self) -> None:
        self._ids = {kind: count(1) for kind in ("clip", "clipitem", "sequence", "file")}
        self._file_ids: dict[str, str] = {}

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids[kind])}"

    def file(self, parent: etree._Element, media: SourceMedia) -> None:
        """The full ``file`` at its first use, a reference by id after that."""
        if media.media_id in self._file_ids:
            etree.SubElement(parent, "file", id=self._file_ids[media.media_id])
            return
        fid = self._file_ids[media.media_id] = self._id("file")
        el = etree.SubElement(parent, "file", id=fid)
        _text(el, "name", media.name)
        _text(el, "pathurl", localhost_url(media.path))
        _rate(el, media.frame_rate)
        _text(el, "duration", media.duration_frames)
        _timecode(el, media_start_frames(media), media.frame_rate, media.drop_frame, reel_name(media))
        media_el = etree.SubElement(el, "media")
        _video_characteristics(etree.SubElement(media_el, "video"), media)
        if media.has_audio:
            audio = etree.SubElement(media_el, "audio")
            sc = etree.SubElement(audio, "samplecharacteristics")
            _text(sc, "depth", AUDIO_DEPTH)
            _text(sc, "samplerate", media.audio_sample_rate or 48000)
            _text(audio, "channelcount", _channels(media))

    @staticmethod
    def markers(parent: etree._Element, clip: BinClip) -> None:
        for n, frame in enumerate(clip_keyframes(clip), 1):
            marker = etree.SubElement(parent, "marker")
            _text(marker, "name", f"Keyframe {n}")
            _text(marker, "comment", "")
            _text(marker, "in", frame)
            _text(marker, "out", -1)

    def _items(self, tracks: list[etree._Element], clip: BinClip, start: int) -> None:
        """One clipitem per track the shot uses: video on ``tracks[0]``, channel n on ``tracks[n]``;
        ``name``, ``start``, ``in`` and ``out`` come before the file and markers (readers that
        take the first such element below the item, OpenShot's, read the item's own)."""
        media = clip.media
        n_items = 1 + min(_channels(media), len(tracks) - 1)
        ids = [self._id("clipitem") for _ in range(n_items)]
        for index, (track, item_id) in enumerate(zip(tracks, ids)):
            item = etree.SubElement(track, "clipitem", id=item_id)
            _text(item, "name", clip.name)
            _text(item, "duration", media.duration_frames)
            _rate(item, media.frame_rate)
            _text(item, "start", start)
            _text(item, "end", start + clip.duration_frames)
            _text(item, "in", clip.start_frame)
            _text(item, "out", clip.end_frame)
            self.file(item, media)
            if index:
                source = etree.SubElement(item, "sourcetrack")
                _text(source, "mediatype", "audio")
                _text(source, "trackindex", index)
            else:
                self.markers(item, clip)
            if n_items > 1:
                for other, other_id in enumerate(ids):
                    link = etree.SubElement(item, "link")
                    _text(link, "linkclipref", other_id)
                    _text(link, "mediatype", "audio" if other else "video")
                    _text(link, "trackindex", max(other, 1))

    def _media(self, parent: etree._Element, clips: list[BinClip], starts: list[int],
               format_of: SourceMedia | None) -> None:
        media_el = etree.SubElement(parent, "media")
        video = etree.SubElement(media_el, "video")
        if format_of is not None:
            _video_characteristics(etree.SubElement(video, "format"), format_of)
        channels = max(_channels(c.media) for c in clips)
        tracks = [_track(video)]
        if channels:
            audio = etree.SubElement(media_el, "audio")
            tracks += [_track(audio, _audio_track_attrs(n, channels)) for n in range(channels)]
        for clip, start in zip(clips, starts):
            self._items(tracks, clip, start)
        for track in tracks:
            _close_track(track)

    def clip(self, parent: etree._Element, clip: BinClip, bin_path: list[str]) -> None:
        """A bin clip: the shot as a subclip (in/out) of the whole file."""
        el = etree.SubElement(parent, "clip", id=self._id("clip"))
        _text(el, "name", clip.name)
        _text(el, "duration", clip.media.duration_frames)
        _rate(el, clip.media.frame_rate)
        _text(el, "in", clip.start_frame)
        _text(el, "out", clip.end_frame)
        _text(el, "ismasterclip", "FALSE")
        self._media(el, [clip], [0], None)
        self.markers(el, clip)
        slate = clip.slate
        logging = etree.SubElement(el, "logginginfo")
        _text(logging, "description", clip.name)
        _text(logging, "scene", slate.scene)
        _text(logging, "shottake", slate.take)
        _text(logging, "lognote", ", ".join((*bin_path, *clip.characters)))
        comments = etree.SubElement(el, "comments")
        _text(comments, "mastercomment1", f"Camroll {slate.camroll}" if slate.camroll else "")
        _text(comments, "mastercomment2", f"Camera {slate.camera_angle}" if slate.camera_angle else "")

    def sequence(self, parent: etree._Element, name: str, clips: list[BinClip]) -> None:
        first = clips[0].media
        rate, drop_frame = first.frame_rate, first.drop_frame
        starts = [sum(c.duration_frames for c in clips[:i]) for i in range(len(clips))]
        seq = etree.SubElement(parent, "sequence", id=self._id("sequence"))
        _text(seq, "name", name)
        _text(seq, "duration", sum(c.duration_frames for c in clips))
        _rate(seq, rate)
        _timecode(seq, timecode_to_frames(SEQUENCE_START, rate, drop_frame), rate, drop_frame, None)
        self._media(seq, clips, starts, first)

    def bin(self, parent: etree._Element, bin_: Bin, bin_path: list[str]) -> None:
        el = etree.SubElement(parent, "bin")
        _text(el, "name", bin_.name)
        children = etree.SubElement(el, "children")
        path = [*bin_path, bin_.name]
        groups = group_by(bin_.clips, lambda c: rate_key(c.media))
        for (rate, drop_frame), clips in groups:
            suffix = f" ({rate_tag(rate, drop_frame)})" if len(groups) > 1 else ""
            self.sequence(children, f"{bin_.name}{suffix}", clips)
        for clip in bin_.clips:
            self.clip(children, clip, path)
        for child in bin_.children:
            self.bin(children, child, path)


def build(binset: BinSet, options: ExportOptions) -> tuple[etree._Element, tuple[str, ...]]:
    """The xmeml document of ``binset`` (rates conformed) and the conform warnings."""
    conformed = conform(binset, FCP7_RULE)
    root = etree.Element("xmeml", version="5")
    project = etree.SubElement(root, "project")
    _text(project, "name", options.project(binset))
    children = etree.SubElement(project, "children")
    writer = _Writer()
    for bin_ in exported_bins(conformed.binset, options.include_noise):
        writer.bin(children, bin_, [])
    return root, conformed.warnings


@register
class XmemlExporter(Exporter):
    format_name = "xmeml"
    extension = ".xml"
    description = "Final Cut Pro 7 XML (Premiere Pro, DaVinci Resolve)"

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        root, warnings = build(binset, options)
        name = f"{safe_stem(options.project(binset))}{self.extension}"
        return ExportResult((ExportedFile(name, xml_bytes(root, "<!DOCTYPE xmeml>")),), warnings)
