"""Exporters: FCPXML validates against Apple's DTDs; FCP 7 XML, EDL, ALE and OTIO read back through
OpenTimelineIO's own adapters with names, source ranges and timecodes exactly as exported."""

from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio
import pytest
from lxml import etree

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.errors import InvalidInput
from binsight.exporters import ExportOptions, available_formats, get_exporter
from binsight.exporters import ale as ale_mod
from binsight.exporters import fcpxml as fcpxml_mod
from binsight.exporters import timecode as tc
from binsight.exporters.fcpxml import FCPXML_VERSIONS
from binsight.exporters.naming import ascii_line, edl_reel, file_url

import exporter_fixtures as fx

DTD_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "fcpxml-dtd"


# ----------------------------------------------------------------------------- helpers


def export(fmt: str, binset: BinSet, out: Path, include_noise: bool = False, **options: str) -> list[Path]:
    """Write ``binset`` as ``fmt`` with format options given as the user types them."""
    return list(get_exporter(fmt, options).write(binset, out, ExportOptions(include_noise=include_noise)).paths)


def clips_by_name(binset: BinSet) -> dict[str, BinClip]:
    return {c.name: c for b in binset.all_bins() for c in b.clips}


def start_frames(media: SourceMedia) -> int:
    """The file's start timecode as a frame count, straight from OTIO (independent of the helper)."""
    return int(otio.opentime.from_timecode(media.start_timecode, float(media.frame_rate)).value)


def expected_in(clip: BinClip) -> int:
    return start_frames(clip.media) + clip.start_frame


def expected_tc(clip: BinClip, frame: int) -> str:
    m = clip.media
    return otio.opentime.to_timecode(
        otio.opentime.RationalTime(start_frames(m) + frame, float(m.frame_rate)), float(m.frame_rate), m.drop_frame
    )


def url_path(url: str) -> str:
    return unquote(urlparse(url).path)


def assert_same_range(read: otio.schema.Clip, clip: BinClip) -> None:
    """Source range read back == exported: same start frame, duration, rate and timecode label."""
    rate = float(clip.media.frame_rate)
    start = read.source_range.start_time.rescaled_to(rate)
    assert start.value == expected_in(clip), read.name
    assert read.source_range.duration.rescaled_to(rate).value == clip.duration_frames, read.name
    assert otio.opentime.to_timecode(start, rate, clip.media.drop_frame) == expected_tc(clip, clip.start_frame)


# ----------------------------------------------------------------------------- registry, options, timecode


def test_registry_lists_every_format_and_names_them_on_a_miss() -> None:
    assert available_formats() == ["ale", "bins_json", "edl", "fcpxml", "otio", "xmeml"]
    for name in available_formats():
        exporter = get_exporter(name)
        assert exporter.format_name == name and exporter.extension.startswith(".")
    with pytest.raises(InvalidInput, match="unknown export format 'aaf'; choose one of ale, bins_json, edl, fcpxml"):
        get_exporter("aaf")


def test_register_plugs_in_a_new_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from binsight.exporters import base
    from binsight.exporters.base import ExportedFile, ExportResult
    from binsight.exporters.walk import cluster_shots, exported_bins

    monkeypatch.setattr(base, "_PLUGINS", dict(base._PLUGINS))
    monkeypatch.setattr(base, "_LOADED", dict(base._LOADED))

    @base.register
    class ShotList(base.Exporter):
        format_name = "shot_list"
        extension = ".txt"

        def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
            text = "\n".join(s.clip.name for b in exported_bins(binset, options.include_noise) for s in cluster_shots(b))
            return ExportResult((ExportedFile(f"shots{self.extension}", text.encode()),), ("a warning",))

    assert "shot_list" in available_formats()
    written = get_exporter("shot_list").write(fx.all_rates_binset(), tmp_path / "new", ExportOptions())
    (path,) = written.paths
    assert written.warnings == ("a warning",) and path.parent == tmp_path / "new"
    assert path.read_text().splitlines()[:4] == ["A001 shot s01", "A001 shot s02", "B002 shot s03", "B002 shot s04"]
    assert [p.name for p in path.parent.iterdir()] == ["shots.txt"]  # no temporary file left behind


def test_write_puts_exactly_the_rendered_bytes_in_the_folder(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    for fmt in available_formats():
        exporter = get_exporter(fmt)
        rendered = exporter.render(binset, ExportOptions())
        written = exporter.write(binset, tmp_path / fmt, ExportOptions())
        assert [p.name for p in written.paths] == [f.name for f in rendered.files]
        assert [p.read_bytes() for p in written.paths] == [f.data for f in rendered.files]
        assert written.warnings == rendered.warnings


@pytest.mark.parametrize(
    "fmt, bad, message",
    [
        ("fcpxml", {"fcpxml_version": "1.12"}, "option 'fcpxml_version' must be one of 1.11, 1.10, 1.9, not '1.12'"),
        ("fcpxml", {"layout": "bins"}, "option 'layout' must be one of events, keywords"),
        ("ale", {"ale_layout": "per_rate"}, "option 'ale_layout' must be one of per_cluster, single"),
        ("ale", {"fcpxml_version": "1.9"}, "unknown option 'fcpxml_version' for the ale export; valid options: "
                                           "ale_layout, layout"),
        ("edl", {"layout": "single"}, "unknown option 'layout' for the edl export; valid options: none"),
    ],
)
def test_options_refuse_unknown_keys_and_values_naming_the_valid_ones(fmt: str, bad: dict[str, str],
                                                                      message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        get_exporter(fmt, bad)


def test_each_format_owns_its_options_under_old_and_short_names() -> None:
    from binsight.exporters.ale import AleExporter
    from binsight.exporters.fcpxml import FcpxmlExporter

    assert get_exporter("fcpxml", {"fcpxml_version": "1.9", "fcpxml_layout": "keywords"}).options == \
        FcpxmlExporter.Options(version="1.9", layout="keywords") == \
        get_exporter("fcpxml", {"version": "1.9", "layout": "keywords"}).options
    assert get_exporter("ale", {"ale_layout": "single"}).options == AleExporter.Options(layout="single")
    with pytest.raises(InvalidInput, match="option 'version' must be one of"):
        FcpxmlExporter.Options(version="2.0")  # typed construction is checked too


def test_default_fcpxml_version_is_newest_resolve_and_final_cut_import() -> None:
    assert get_exporter("fcpxml").options.version == "1.11" == FCPXML_VERSIONS[0]


@pytest.mark.parametrize(
    "rate, label, frames",
    [
        ("23.976", "14:23:11:07", ((14 * 60 + 23) * 60 + 11) * 24 + 7),
        ("24", "00:00:00:00", 0),
        ("25", "01:00:00:00", 90000),
        ("29.97NDF", "01:00:00:00", 108000),
        ("29.97DF", "01:00:00;00", 107892),  # 108 frame numbers dropped per hour
        ("29.97DF", "10:00:00;02", 1078922),
        ("50", "14:23:11:07", ((14 * 60 + 23) * 60 + 11) * 50 + 7),
        ("59.94DF", "10:00:00;02", 2157842),  # 36 dropped per 10 minutes at 59.94
    ],
)
def test_timecode_round_trips_exactly(rate: str, label: str, frames: int) -> None:
    frame_rate, drop_frame = fx.RATES[rate]
    assert tc.timecode_to_frames(label, frame_rate, drop_frame) == frames
    assert tc.frames_to_timecode(frames, frame_rate, drop_frame) == label


def test_drop_frame_flag_wins_over_the_separator() -> None:
    # A DF source whose label was stored with ':' still counts drop-frame (and vice versa).
    assert tc.timecode_to_frames("10:00:00:02", Fraction(30000, 1001), True) == 1078922
    assert tc.timecode_to_frames("01:00:00;00", Fraction(30000, 1001), False) == 108000


def test_rational_time_strings_and_fcp7_rates() -> None:
    assert tc.rational_seconds(1, Fraction(24000, 1001)) == "1001/24000s"
    assert tc.rational_seconds(3, Fraction(30000, 1001)) == "3003/30000s"
    assert tc.rational_seconds(0, Fraction(25)) == "0s"
    assert tc.ntsc_timebase(Fraction(24000, 1001)) == (24, True)
    assert tc.ntsc_timebase(Fraction(60000, 1001)) == (60, True)
    assert tc.ntsc_timebase(Fraction(50)) == (50, False)
    with pytest.raises(ValueError):
        tc.ntsc_timebase(Fraction(2997, 100))


@pytest.mark.parametrize(
    "path, url",
    [
        ("/Volumes/Shoot Day 1/Caméra A/a #1 100%.mov", "file:///Volumes/Shoot%20Day%201/Cam%C3%A9ra%20A/a%20%231%20100%25.mov"),
        ("C:\\Footage\\日本\\b.mov", "file:///C:/Footage/%E6%97%A5%E6%9C%AC/b.mov"),
    ],
)
def test_file_urls_are_percent_encoded(path: str, url: str) -> None:
    assert file_url(path) == url


# ----------------------------------------------------------------------------- FCPXML


def _fcpxml_dtd(version: str) -> etree.DTD:
    dtd_path = DTD_DIR / fcpxml_mod.dtd_file_name(version)
    if not dtd_path.is_file():
        pytest.skip(f"Apple's FCPXML DTD {dtd_path.name} not found in {DTD_DIR}")
    return etree.DTD(str(dtd_path))


@pytest.mark.parametrize("layout", ["events", "keywords"])
@pytest.mark.parametrize("version", FCPXML_VERSIONS)
def test_fcpxml_validates_against_apples_dtd(version: str, layout: str, tmp_path: Path) -> None:
    dtd = _fcpxml_dtd(version)
    binset = fx.all_rates_binset()
    (path,) = export("fcpxml", binset, tmp_path, include_noise=True, fcpxml_version=version, fcpxml_layout=layout)
    doc = etree.parse(str(path))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    assert doc.getroot().get("version") == version
    assert doc.docinfo.xml_version == "1.0" and path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_fcpxml_dtd_check_catches_an_invalid_attribute() -> None:
    # Guards the test above: an attribute the DTD does not declare must fail validation.
    dtd = _fcpxml_dtd("1.11")
    root, _ = fcpxml_mod.build(fx.all_rates_binset(), ExportOptions())
    root.find("resources/asset").set("modDate", "2026-01-01 00:00:00 +0000")
    assert not dtd.validate(root)


@pytest.mark.parametrize("layout", ["events", "keywords"])
def test_fcpxml_times_sources_and_keywords(layout: str) -> None:
    binset = fx.all_rates_binset()
    root, _ = fcpxml_mod.build(binset, ExportOptions(), layout=layout)
    formats = {f.get("id"): f for f in root.iter("format")}
    assets = {a.get("id"): a for a in root.iter("asset")}
    expected = clips_by_name(binset)
    seen = set()
    for el in root.xpath("//event/asset-clip"):  # browser clips (spine clips are checked below)
        clip = expected[el.get("name")]
        seen.add(clip.shot_id)
        media = clip.media
        frame = 1 / clip.media.frame_rate  # exact Fraction seconds
        asset = assets[el.get("ref")]
        fmt = formats[asset.get("format")]
        assert Fraction(fmt.get("frameDuration")[:-1]) == frame
        assert (int(fmt.get("width")), int(fmt.get("height"))) == (media.width, media.height)
        assert Fraction(asset.get("start")[:-1]) == start_frames(media) * frame
        assert Fraction(asset.get("duration")[:-1]) == media.duration_frames * frame
        assert url_path(asset.find("media-rep").get("src")) == media.path
        assert Fraction(el.get("start")[:-1]) == expected_in(clip) * frame
        assert Fraction(el.get("duration")[:-1]) == clip.duration_frames * frame
        assert el.get("tcFormat") == ("DF" if media.drop_frame else "NDF")
        keywords = {k.get("value") for k in el.findall("keyword")}
        markers = [Fraction(m.get("start")[:-1]) / frame for m in el.findall("marker")]
        assert markers == [start_frames(media) + k for k in sorted(set(clip.keyframes))]
        if clip.shot_id == "s02":
            assert keywords == {"Kitchen dawn", "Alice"}  # the comma would split the keyword list
    assert "s12" not in seen  # noise is left out unless asked for
    assert seen == {f"s{i:02d}" for i in range(1, 12)}
    if layout == "events":
        assert [e.get("name") for e in root.iter("event")] == ["Kitchen, dawn", "Street", "Night"]
    else:
        (event,) = root.iter("event")
        assert [f.get("name") for f in event.iter("collection-folder")] == ["Kitchen dawn", "Street", "Night"]
        folder = event.find("collection-folder")
        assert [k.get("name") for k in folder.iter("keyword-collection")] == ["Kitchen dawn", "Alice"]


# ----------------------------------------------------------------------------- FCP 7 XML


def test_xmeml_reads_back_through_otio_fcp_xml(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("xmeml", binset, tmp_path)
    result = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    timelines = {t.name: t for t in result}
    expected = {
        "Kitchen, dawn (23.976)": ["s01", "s02"],
        "Kitchen, dawn (24)": ["s03", "s04"],
        "Alice": ["s02", "s05"],
        "Street (25)": ["s06"],
        "Street (50)": ["s07"],
        "Night (29.97DF)": ["s08", "s09"],
        "Night (29.97NDF)": ["s10"],
        "Night (59.94DF)": ["s11"],
    }
    assert sorted(timelines) == sorted(expected)
    by_id = {c.shot_id: c for b in binset.all_bins() for c in b.clips}
    for name, shot_ids in expected.items():
        (video,) = timelines[name].video_tracks()
        read = list(video.find_clips())
        assert [c.name for c in read] == [by_id[s].name for s in shot_ids]
        for r, shot_id in zip(read, shot_ids):
            clip = by_id[shot_id]
            assert_same_range(r, clip)
            ref = r.media_reference
            assert url_path(ref.target_url) == clip.media.path
            assert ref.target_url.isascii() and " " not in ref.target_url
            assert ref.available_range.start_time.value == start_frames(clip.media)
            assert ref.available_range.duration.value == clip.media.duration_frames


def _full_files(root: etree._Element) -> dict[str, etree._Element]:
    return {f.get("id"): f for f in root.iter("file") if f.find("pathurl") is not None}


def test_xmeml_nests_bins_with_subclip_ranges_and_sequences_have_format(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("xmeml", binset, tmp_path, include_noise=True)
    root = etree.parse(str(path)).getroot()
    assert root.tag == "xmeml" and root.get("version") == "5"
    top = root.findall("project/children/bin")
    assert [b.findtext("name") for b in top] == ["Kitchen, dawn", "Street", "Night", "Noise"]
    alice = top[0].find("children/bin")
    assert alice.findtext("name") == "Alice"
    assert [c.findtext("name") for c in alice.findall("children/clip")] == ["A001 shot s02", "A001 shot s05"]
    expected = clips_by_name(binset)
    files = _full_files(root)
    for el in root.iter("clip"):
        clip = expected[el.findtext("name")]
        assert (int(el.findtext("in")), int(el.findtext("out"))) == (clip.start_frame, clip.end_frame)
        # The bin clip's file sits in its media track, as FCP 7 writes bin clips.
        item = el.find("media/video/track/clipitem")
        assert (int(item.findtext("in")), int(item.findtext("out"))) == (clip.start_frame, clip.end_frame)
        file = files[item.find("file").get("id")]
        timecode = file.find("timecode")
        assert timecode.findtext("string") == expected_tc(clip, 0)
        assert int(timecode.findtext("frame")) == start_frames(clip.media)
        assert timecode.findtext("displayformat") == ("DF" if clip.media.drop_frame else "NDF")
        assert timecode.findtext("reel/name") == (clip.media.reel or Path(clip.media.name).stem)
        assert file.find("media/video/samplecharacteristics/width").text == str(clip.media.width)
    for seq in root.iter("sequence"):
        assert seq.find("media/video/format/samplecharacteristics/rate/timebase") is not None


def test_xmeml_tracks_say_enabled_and_locked(tmp_path: Path) -> None:
    # OpenShot's importer raises IndexError on a track without <locked>; FCP 7 and Premiere
    # always write both, after the track's items.
    (path,) = export("xmeml", fx.all_rates_binset(), tmp_path)
    tracks = list(etree.parse(str(path)).iter("track"))
    assert tracks
    for track in tracks:
        assert [c.tag for c in track][-2:] == ["enabled", "locked"]
        assert (track.findtext("enabled"), track.findtext("locked")) == ("TRUE", "FALSE")


def test_xmeml_pathurl_is_a_localhost_file_url(tmp_path: Path) -> None:
    (path,) = export("xmeml", fx.all_rates_binset(), tmp_path)
    urls = [u.text for u in etree.parse(str(path)).iter("pathurl")]
    assert "file://localhost/Volumes/Shoot%20Day%201/Cam%C3%A9ra%20A/A001%20prise%20%C3%A9t%C3%A9%20%231.mov" in urls
    assert all(u.startswith("file://localhost/") and u.isascii() for u in urls)


def test_xmeml_writes_each_file_in_full_once_then_by_id(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("xmeml", binset, tmp_path, include_noise=True)
    root = etree.parse(str(path)).getroot()
    files = list(root.iter("file"))
    full = [f for f in files if len(f)]
    assert sorted(f.findtext("name") for f in full) == sorted({c.media.name for b in binset.all_bins() for c in b.clips})
    ids = [f.get("id") for f in full]
    assert len(set(ids)) == len(ids)
    seen: set[str] = set()
    for f in files:  # document order: the full file comes first, then bare references
        assert (len(f) > 0) == (f.get("id") not in seen), f.get("id")
        seen.add(f.get("id"))
        assert f.getparent().tag == "clipitem"
    # OTIO's reader visits sequences only and keeps the first element per id it meets: every
    # clip of every sequence must still come back with its real media.
    timelines = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")  # keep it alive while iterating
    for timeline in timelines:
        for clip in timeline.find_clips():
            assert isinstance(clip.media_reference, otio.schema.ExternalReference), clip.name
            assert url_path(clip.media_reference.target_url) == clips_by_name(binset)[clip.name].media.path


def test_xmeml_clips_with_sound_get_linked_audio_tracks(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("xmeml", binset, tmp_path)
    root = etree.parse(str(path)).getroot()
    night = next(s for s in root.iter("sequence") if s.findtext("name") == "Night (59.94DF)")
    assert night.find("media/audio") is None  # G007 has no sound
    kitchen = next(s for s in root.iter("sequence") if s.findtext("name") == "Kitchen, dawn (23.976)")
    audio = kitchen.findall("media/audio/track")
    assert [t.get("currentExplodedTrackIndex") for t in audio] == ["0", "1"]  # stereo: a track per channel
    video_items = kitchen.findall("media/video/track/clipitem")
    for n, track in enumerate(audio, 1):
        items = track.findall("clipitem")
        assert [i.findtext("name") for i in items] == [i.findtext("name") for i in video_items]
        for a, v in zip(items, video_items):
            assert [a.findtext(k) for k in ("start", "end", "in", "out")] == [v.findtext(k) for k in
                                                                              ("start", "end", "in", "out")]
            assert a.findtext("sourcetrack/mediatype") == "audio" and a.findtext("sourcetrack/trackindex") == str(n)
            assert a.find("file").get("id") == v.find("file").get("id")
            assert v.get("id") in [link.findtext("linkclipref") for link in a.findall("link")]
    timelines = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    (timeline,) = [t for t in timelines if t.name == "Kitchen, dawn (23.976)"]
    (otio_audio,) = timeline.audio_tracks()  # OTIO keeps the stereo pair as one track
    assert [c.name for c in otio_audio.find_clips()] == ["A001 shot s01", "A001 shot s02"]


# ----------------------------------------------------------------------------- EDL


EDL_FILES = {
    "01_Kitchen_dawn_23.976.edl": ["s01", "s02", "s05"],  # s05 comes from the Alice sub-bin
    "01_Kitchen_dawn_24.edl": ["s03", "s04"],
    "02_Street_25.edl": ["s06"],
    "02_Street_50.edl": ["s07"],
    "03_Night_29.97DF.edl": ["s08", "s09"],
    "03_Night_29.97NDF.edl": ["s10"],
    "03_Night_59.94DF.edl": ["s11"],
}
EVENT = re.compile(r"^(\d{3})  (\S{1,8}) +V +C +(\S+) (\S+) (\S+) (\S+)$")


def _read_edl(path: Path, media: SourceMedia) -> otio.schema.Timeline:
    return otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=float(media.frame_rate))


def test_edl_one_per_cluster_and_rate_reads_back_exactly(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    written = export("edl", binset, tmp_path)
    assert sorted(p.name for p in written) == sorted([*EDL_FILES, "edl_reels.csv"])
    by_id = {c.shot_id: c for b in binset.all_bins() for c in b.clips}
    with (tmp_path / "edl_reels.csv").open(encoding="utf-8") as f:
        reel_map = {row["EDL Reel"]: row for row in csv.DictReader(f)}
    for file_name, shot_ids in EDL_FILES.items():
        path = tmp_path / file_name
        clips = [by_id[s] for s in shot_ids]
        media = clips[0].media
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[1] == ("FCM: DROP FRAME" if media.drop_frame else "FCM: NON-DROP FRAME")
        assert "FROM CLIP:" not in text and "FROM FILE:" not in text  # Premiere names those UNKNOWN
        timeline = _read_edl(path, media)
        read = list(timeline.find_clips())
        assert [c.name for c in read] == [ascii_line(c.media.name) for c in clips]
        assert text.isascii()
        events = [EVENT.match(line).groups() for line in lines if EVENT.match(line)]
        assert [int(e[0]) for e in events] == list(range(1, len(clips) + 1))
        record = otio.opentime.from_timecode("01:00:00:00" if not media.drop_frame else "01:00:00;00",
                                             float(media.frame_rate)).value
        for r, clip, event in zip(read, clips, events):
            assert_same_range(r, clip)
            assert event[2:4] == (expected_tc(clip, clip.start_frame), expected_tc(clip, clip.end_frame))
            rec_in = otio.opentime.from_timecode(event[4], float(media.frame_rate)).value
            assert rec_in == record  # laid end to end from 01:00:00:00
            record += clip.duration_frames
            reel = r.metadata["cmx_3600"]["reel"]
            assert len(reel) <= 8
            real_reel = clip.media.reel or Path(clip.media.name).stem
            if reel != real_reel:
                assert reel_map[reel]["Reel"] == real_reel and reel_map[reel]["Source File"] == clip.media.path
            assert f"SOURCE FILE: {ascii_line(clip.media.path)}" in r.metadata["cmx_3600"]["comments"]
        assert all(isinstance(item, otio.schema.Clip) for item in timeline.tracks[0])  # no gaps
    # A minute boundary in drop-frame: ;00 and ;01 are skipped.
    assert "10:00:59;22 10:01:01;04" in (tmp_path / "03_Night_29.97DF.edl").read_text()
    assert {r["Reel"] for r in reel_map.values()} == {fx.LONG_REEL, "D004 prise été #1", "F006 TAPE 2"}


def test_edl_splits_at_999_events(tmp_path: Path) -> None:
    binset = fx.large_binset(1200)
    written = export("edl", binset, tmp_path)
    assert [p.name for p in written] == ["01_Crowd.edl", "01_Crowd_part2.edl", "edl_reels.csv"]
    clips = binset.bins[0].clips
    first, second = (list(_read_edl(p, clips[0].media).find_clips()) for p in written[:2])
    assert (len(first), len(second)) == (999, 201)
    for r, clip in zip(first + second, clips):
        assert_same_range(r, clip)
    part2 = written[1].read_text().splitlines()
    events = [EVENT.match(line).groups() for line in part2 if EVENT.match(line)]
    assert events[0][0] == "001" and events[-1][0] == "201"
    assert events[0][4] == "01:00:00:00"
    assert part2[0].startswith("TITLE: Big - Crowd part2")


def test_edl_refuses_two_reels_that_shorten_alike(tmp_path: Path) -> None:
    first_seen: dict[str, str] = {}
    for i in range(5000):  # a 16-bit hash collides well within 5,000 names
        reel = f"CAMERA_ROLL_{i:04d}"
        if edl_reel(reel) in first_seen:
            clash = (first_seen[edl_reel(reel)], reel)
            break
        first_seen[edl_reel(reel)] = reel
    a, b = (fx.media(f"M{n}", "25", reel=r) for n, r in enumerate(clash))
    binset = BinSet("p", [Bin("b", "Scene", "scene", clips=[fx.shot("1", a, 0, 5), fx.shot("2", b, 0, 5)])])
    with pytest.raises(InvalidInput, match="same 8-character EDL reel"):
        export("edl", binset, tmp_path)
    assert not list(tmp_path.iterdir())  # nothing half-written


# ----------------------------------------------------------------------------- ALE


ALE_COLUMNS = ["Name", "Tracks", "Start", "End", "Tape", "Source File", "Source Path", "Full Reel", "Cluster",
               "Character", "Sub-bins", "Characters", "Score", "Shot ID"]


NTSC_LABELS = {Fraction(24000, 1001): "23.976", Fraction(30000, 1001): "29.97", Fraction(60000, 1001): "59.94"}


def _read_ale(path: Path) -> otio.schema.SerializableCollection:
    return otio.adapters.read_from_file(str(path), adapter_name="ale")


@pytest.mark.parametrize("layout", ["per_cluster", "single"])
def test_ale_reads_back_through_otio_ale(layout: str, tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    written = export("ale", binset, tmp_path, include_noise=True, ale_layout=layout)
    expected = clips_by_name(binset)
    cluster_of = {c.shot_id: b.name for b in binset.bins for sub in [b, *b.children] for c in sub.clips}
    seen: list[str] = []
    for path in written:
        collection = _read_ale(path)
        header, columns = collection.metadata["ALE"]["header"], list(collection.metadata["ALE"]["columns"])
        assert columns == ALE_COLUMNS + (["Bin"] if layout == "single" else [])
        assert all(len(c) <= ale_mod.MAX_CUSTOM_HEADING for c in columns[7:])
        assert header["FIELD_DELIM"] == "TABS"
        clips = [expected[c.name] for c in collection]
        rate = clips[0].media.frame_rate
        assert {(c.media.frame_rate, c.media.drop_frame) for c in clips} == {(rate, clips[0].media.drop_frame)}
        assert header["FPS"] == NTSC_LABELS.get(rate, str(rate))
        assert {ale_mod.video_format(c.media) for c in clips} == {header["VIDEO_FORMAT"]}
        for r, clip in zip(collection, clips):
            seen.append(clip.shot_id)
            assert_same_range(r, clip)
            cells = r.metadata["ALE"]
            reel = clip.media.reel or Path(clip.media.name).stem
            assert cells["Full Reel"] == ascii_line(reel)
            assert cells["Tape"] == edl_reel(reel)  # the EDL's reel for the same file
            # Media Composer reads the file name from Source File and its folder from Source Path.
            assert r.media_reference.target_url == ascii_line(clip.media.name)
            assert cells["Source Path"] == ascii_line(str(Path(clip.media.path).parent))
            assert cells["Cluster"] == cluster_of[clip.shot_id]
            if layout == "single":
                assert cells["Bin"] == cells["Cluster"]
            if clip.shot_id == "s02":
                assert cells["Sub-bins"] == "Alice" and cells["Characters"] == "Alice"
    assert sorted(seen) == [f"s{i:02d}" for i in range(1, 13)]  # every shot once, noise included
    if layout == "single":
        assert {p.name for p in written} == {
            "Binsight_Test_ete_23.976_1080.ale", "Binsight_Test_ete_24_1080.ale", "Binsight_Test_ete_25_1080.ale",
            "Binsight_Test_ete_50_720.ale", "Binsight_Test_ete_29.97DF_1080.ale",
            "Binsight_Test_ete_29.97NDF_1080.ale", "Binsight_Test_ete_59.94DF_1080.ale"}


# ----------------------------------------------------------------------------- OTIO


@pytest.mark.parametrize("include_noise", [False, True])
def test_otio_collections_read_back(include_noise: bool, tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("otio", binset, tmp_path, include_noise=include_noise)
    root = otio.adapters.read_from_file(str(path), adapter_name="otio_json")
    assert isinstance(root, otio.schema.SerializableCollection) and root.name == binset.project
    names = ["Kitchen, dawn", "Street", "Night"] + (["Noise"] if include_noise else [])
    assert [c.name for c in root] == names

    def check(collection: otio.schema.SerializableCollection, bin_) -> None:
        clips = [c for c in collection if isinstance(c, otio.schema.Clip)]
        subs = [c for c in collection if isinstance(c, otio.schema.SerializableCollection)]
        assert [c.name for c in clips] == [c.name for c in bin_.clips]
        assert [s.name for s in subs] == [b.name for b in bin_.children]
        for r, clip in zip(clips, bin_.clips):
            assert_same_range(r, clip)
            assert r.source_range.start_time.rate == float(clip.media.frame_rate)
            ref = r.media_reference
            assert url_path(ref.target_url) == clip.media.path
            assert ref.available_range.start_time.value == start_frames(clip.media)
            assert ref.available_range.duration.value == clip.media.duration_frames
            assert [m.marked_range.start_time.value for m in r.markers] == [
                start_frames(clip.media) + k for k in sorted(set(clip.keyframes))]
            assert r.metadata["binsight"]["frame_rate"] == f"{clip.media.frame_rate.numerator}/" \
                                                           f"{clip.media.frame_rate.denominator}"
        for s, b in zip(subs, bin_.children):
            check(s, b)

    for collection, bin_ in zip(root, binset.bins):
        check(collection, bin_)


# ----------------------------------------------------------------------------- bins.json


def test_bins_json_has_frames_and_timecodes(tmp_path: Path) -> None:
    binset = fx.all_rates_binset()
    (path,) = export("bins_json", binset, tmp_path, include_noise=True)
    assert path.name == "bins.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [b["name"] for b in doc["bins"]] == ["Kitchen, dawn", "Street", "Night", "Noise"]
    assert doc["bins"][0]["children"][0]["name"] == "Alice"
    media = {m["media_id"]: m for m in doc["media"]}
    assert media["E005"]["frame_rate"] == "30000/1001" and media["E005"]["start_timecode"] == "10:00:00;02"
    expected = clips_by_name(binset)
    shots = [s for b in doc["bins"] for bin_ in [b, *b["children"]] for s in bin_["shots"]]
    for s in shots:
        clip = expected[s["name"]]
        assert (s["source_in_frame"], s["source_out_frame"]) == (clip.start_frame, clip.end_frame)
        assert s["source_in_timecode"] == expected_tc(clip, clip.start_frame)
        assert s["source_out_timecode"] == expected_tc(clip, clip.end_frame)
        assert [k["frame"] for k in s["keyframes"]] == sorted(set(clip.keyframes))
        assert s["characters"] == list(clip.characters) and s["score"] == clip.score
    last = next(s for s in shots if s["shot_id"] == "s04")  # ends on the file's last frame
    assert last["source_out_frame"] == media["B002"]["duration_frames"] == 500
    assert last["source_out_timecode"] == "00:00:20:20"


# ----------------------------------------------------------------------------- rates no format carries as they are


def test_xmeml_conforms_a_variable_frame_rate_phone_clip_and_says_so(tmp_path: Path) -> None:
    # Used to raise "neither an integer nor an NTSC (x1000/1001) rate" and export nothing.
    binset = fx.odd_rates_binset()
    written = get_exporter("xmeml").write(binset, tmp_path, ExportOptions())
    (path,) = written.paths
    root = etree.parse(str(path)).getroot()
    files = {f.findtext("name"): f for f in _full_files(root).values()}
    assert [files["IMG_0042.MOV"].findtext(k) for k in ("rate/timebase", "rate/ntsc")] == ["16", "FALSE"]
    assert [files["IMG_0043.MOV"].findtext(k) for k in ("rate/timebase", "rate/ntsc")] == ["30", "TRUE"]
    assert [files["counter.mp4"].findtext(k) for k in ("rate/timebase", "rate/ntsc")] == ["10", "FALSE"]
    assert [files["C004.MXF"].findtext(k) for k in ("rate/timebase", "rate/ntsc")] == ["25", "FALSE"]
    assert sorted(w.split(":")[0] for w in written.warnings) == ["IMG_0042.MOV", "IMG_0043.MOV"]
    assert "3840000/239239 (16.051) fps conformed to 16 fps for the FCP 7 XML" in written.warnings[0]
    # Frames are never resampled: the phone's shots keep their frame ranges.
    timelines = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    phone = [c for t in timelines for c in t.video_tracks()[0].find_clips() if c.name.startswith("V001")]
    assert [(c.source_range.start_time.value, c.source_range.duration.value, c.source_range.start_time.rate)
            for c in phone] == [(0, 160, 16), (160, 240, 16)]


@pytest.mark.parametrize("fmt", ["edl", "ale"])
def test_edl_and_ale_leave_out_a_10fps_file_naming_it_and_conform_a_near_29_97(fmt: str, tmp_path: Path) -> None:
    # 10 fps used to produce an EDL / ALE that no reader takes (OTIO: "FPS is not a supported
    # SMPTE timecode frame rate"; Media Composer refuses it); 29.9 fps went out as "29.9".
    written = get_exporter(fmt).write(fx.odd_rates_binset(), tmp_path, ExportOptions())
    text = "".join(p.read_text() for p in written.paths)
    assert "counter" not in text and "IMG_0042" not in text
    left_out = [w for w in written.warnings if "left out" in w]
    assert sorted(w.split(":")[0] for w in left_out) == ["IMG_0042.MOV", "counter.mp4"]
    assert any(w.startswith("counter.mp4: 10 fps is not a rate the") for w in left_out)
    assert any(w.startswith("IMG_0043.MOV: 299/10 (29.9) fps conformed to 29.97 fps") for w in written.warnings)
    shots = []
    for path in written.paths:
        if fmt == "edl":
            timeline = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600",
                                                    rate=30000 / 1001 if "29.97" in path.name else 25)
            shots += [c.name for c in timeline.find_clips()]
        else:
            collection = _read_ale(path)  # every file reads back
            shots += [c.metadata["ALE"]["Shot ID"] for c in collection]
    assert sorted(shots) == (["C004.MXF", "IMG_0043.MOV"] if fmt == "edl" else ["o4", "o5"])


def test_bins_json_records_the_conformed_rate_per_format() -> None:
    from binsight.exporters import bins_json

    doc = bins_json.build(fx.odd_rates_binset(), ExportOptions())
    media = {m["name"]: m for m in doc["media"]}
    assert media["IMG_0042.MOV"]["frame_rate"] == "3840000/239239"
    assert media["IMG_0042.MOV"]["conformed_rate"] == {"xmeml": "16/1", "edl": None, "ale": None}
    assert media["counter.mp4"]["conformed_rate"] == {"edl": None, "ale": None}
    assert media["IMG_0043.MOV"]["conformed_rate"] == {"xmeml": "30000/1001", "edl": "30000/1001",
                                                        "ale": "30000/1001"}
    assert [n.split(" can carry")[0] for n in media["counter.mp4"]["conform_notes"]] == [
        "counter.mp4: 10 fps is not a rate the CMX 3600 EDL", "counter.mp4: 10 fps is not a rate the ALE"]
    assert "conformed_rate" not in media["C004.MXF"] and "conform_notes" not in media["C004.MXF"]


def test_ale_audio_format_is_whole_kilohertz_as_avid_writes_it(tmp_path: Path) -> None:
    # 44.1 kHz used to go out as "44.1khz"; Avid writes and expects "44khz".
    written = get_exporter("ale").write(fx.odd_rates_binset(), tmp_path, ExportOptions())
    collections = [_read_ale(p) for p in written.paths]
    assert {c.metadata["ALE"]["header"]["AUDIO_FORMAT"] for c in collections} == {"44khz", "48khz"}
    assert ale_mod.audio_format(48000) == "48khz" and ale_mod.audio_format(44100) == "44khz"


# ----------------------------------------------------------------------------- FCPXML timelines


@pytest.mark.parametrize("layout", ["events", "keywords"])
def test_fcpxml_has_a_project_per_bin_with_the_shots_on_its_spine(layout: str) -> None:
    # Used to hold events only: Resolve's File > Import > Timeline found nothing to import.
    binset = fx.people_binset()
    root, warnings = fcpxml_mod.build(binset, ExportOptions(), layout=layout)
    assert warnings == []
    projects = {p.get("name"): p for p in root.iter("project")}
    assert list(projects) == ["Kitchen", "Garden", "Alice", "Bob"]
    formats = {f.get("id"): f for f in root.iter("format")}
    for bin_ in binset.bins:
        sequence = projects[bin_.name].find("sequence")
        assert Fraction(formats[sequence.get("format")].get("frameDuration")[:-1]) == Fraction(1, 25)
        assert Fraction(sequence.get("tcStart")[:-1]) == 3600 and sequence.get("tcFormat") == "NDF"
        spine = sequence.find("spine")
        clips = spine.findall("asset-clip")
        assert [c.get("name") for c in clips] == [c.name for c in bin_.clips]
        record = 3600 * 25
        for el, clip in zip(clips, bin_.clips):
            assert Fraction(el.get("offset")[:-1]) == Fraction(record, 25)
            assert Fraction(el.get("start")[:-1]) == Fraction(expected_in(clip), 25)
            assert Fraction(el.get("duration")[:-1]) == Fraction(clip.duration_frames, 25)
            record += clip.duration_frames
        assert Fraction(sequence.get("duration")[:-1]) == Fraction(record - 3600 * 25, 25)
    if layout == "events":
        assert [e.get("name") for e in root.iter("event")] == ["Kitchen", "Garden", "Alice", "Bob"]
        bob = root.xpath("//event[@name='Bob']")[0]
        assert [c.get("name") for c in bob.findall("asset-clip")] == ["P001 shot p2", "P002 shot p3"]
        assert [k.get("name") for k in bob.findall("keyword-collection")] == ["Bob"]
    else:
        (event,) = root.iter("event")
        assert [c.get("name") for c in event.findall("asset-clip")] == [f"P00{1 + (i > 2)} shot p{i}"
                                                                        for i in range(1, 5)]
        p2 = event.find("asset-clip[@name='P001 shot p2']")
        assert [k.get("value") for k in p2.findall("keyword")] == ["Kitchen", "Alice", "Bob"]
        assert [k.get("name") for k in event.findall("keyword-collection")] == ["Bob"]  # Alice is Kitchen's
        assert [f.get("name") for f in event.findall("collection-folder")] == ["Kitchen", "Garden"]


def test_fcpxml_timeline_of_mixed_rates_keeps_source_ranges_and_warns() -> None:
    binset = fx.all_rates_binset()
    root, warnings = fcpxml_mod.build(binset, ExportOptions())
    kitchen = root.xpath("//project[@name='Kitchen, dawn']/sequence")[0]
    formats = {f.get("id"): f for f in root.iter("format")}
    assert Fraction(formats[kitchen.get("format")].get("frameDuration")[:-1]) == Fraction(1001, 24000)
    by_name = clips_by_name(binset)
    for el in kitchen.iter("asset-clip"):
        clip = by_name[el.get("name")]
        rate = clip.media.frame_rate
        assert Fraction(el.get("start")[:-1]) == expected_in(clip) / rate  # the source range is exact
        # On the 23.976 timeline a 24 fps shot lasts the nearest whole number of its frames.
        assert Fraction(el.get("duration")[:-1]) * Fraction(24000, 1001) == round(clip.duration_frames *
                                                                                  Fraction(24000, 1001) / rate)
    assert warnings[0].startswith("timeline 'Kitchen, dawn' runs at 23.976 fps: 2 shot(s) of other rates")


@pytest.mark.parametrize("version", FCPXML_VERSIONS)
@pytest.mark.parametrize("build_binset", [fx.people_binset, fx.odd_rates_binset, fx.control_char_binset])
def test_fcpxml_with_people_odd_rates_and_control_characters_validates(version: str, build_binset) -> None:
    dtd = _fcpxml_dtd(version)
    for layout in ("events", "keywords"):
        result = get_exporter("fcpxml", {"version": version, "layout": layout}).render(build_binset(), ExportOptions())
        doc = etree.fromstring(result.files[0].data)
        assert dtd.validate(doc), dtd.error_log.filter_from_errors()


# ----------------------------------------------------------------------------- people bins and slates


def test_xmeml_people_bins_are_bins_and_slates_sit_in_logginginfo(tmp_path: Path) -> None:
    (path,) = export("xmeml", fx.people_binset(), tmp_path)
    root = etree.parse(str(path)).getroot()
    top = root.findall("project/children/bin")
    assert [b.findtext("name") for b in top] == ["Kitchen", "Garden", "Alice", "Bob"]
    bob = top[3]
    assert [c.findtext("name") for c in bob.findall("children/clip")] == ["P001 shot p2", "P002 shot p3"]
    assert [s.findtext("name") for s in bob.findall("children/sequence")] == ["Bob"]
    p1 = top[0].find("children/clip")
    assert [p1.findtext(f"logginginfo/{k}") for k in ("scene", "shottake")] == ["12A", "3"]
    assert [p1.findtext(f"comments/{k}") for k in ("mastercomment1", "mastercomment2")] == ["Camroll A004", "Camera A"]
    p4 = top[1].findall("children/clip")[1]
    assert [p4.findtext(f"logginginfo/{k}") for k in ("scene", "shottake")] == ["", ""]


def test_ale_one_file_per_person_with_character_and_avid_slate_columns(tmp_path: Path) -> None:
    written = export("ale", fx.people_binset(), tmp_path)
    assert [p.name for p in written] == ["01_Kitchen.ale", "02_Garden.ale", "03_Alice.ale", "04_Bob.ale"]
    bob = _read_ale(written[3])
    columns = list(bob.metadata["ALE"]["columns"])
    assert columns[-4:] == ["Scene", "Take", "Camroll", "Camera"]
    rows = [c.metadata["ALE"] for c in bob]
    assert [(r["Shot ID"], r["Character"], r["Scene"], r["Take"], r["Camroll"], r["Camera"]) for r in rows] == [
        ("p2", "Bob", "12A", "4", "A004", "B"), ("p3", "Bob", "14", "1", "", "")]
    kitchen, garden = _read_ale(written[0]), _read_ale(written[1])
    assert list(kitchen.metadata["ALE"]["columns"])[-4:] == ["Scene", "Take", "Camroll", "Camera"]
    assert {c.metadata["ALE"]["Character"] for c in kitchen} == {""}
    garden_columns = list(garden.metadata["ALE"]["columns"])  # only the slate fields someone read
    assert garden_columns[-2:] == ["Scene", "Take"] and "Camroll" not in garden_columns


def test_ale_without_slates_has_no_slate_columns(tmp_path: Path) -> None:
    for path in export("ale", fx.all_rates_binset(), tmp_path):
        collection = _read_ale(path)
        assert not {"Scene", "Take", "Camroll", "Camera"} & set(collection.metadata["ALE"]["columns"])


def test_edl_one_per_person_with_slate_comments(tmp_path: Path) -> None:
    written = export("edl", fx.people_binset(), tmp_path)
    assert [p.name for p in written] == ["01_Kitchen.edl", "02_Garden.edl", "03_Alice.edl", "04_Bob.edl"]
    bob = otio.adapters.read_from_file(str(written[3]), adapter_name="cmx_3600", rate=25)
    clips = list(bob.find_clips())
    assert [[x for x in c.metadata["cmx_3600"]["comments"] if x.split(":")[0] in ("SCENE", "TAKE", "CAMROLL")]
            for c in clips] == [["SCENE: 12A", "TAKE: 4", "CAMROLL: A004"],
                                                                        ["SCENE: 14", "TAKE: 1"]]


def test_otio_people_bins_are_collections_with_slates_in_metadata(tmp_path: Path) -> None:
    (path,) = export("otio", fx.people_binset(), tmp_path)
    root = otio.adapters.read_from_file(str(path))
    assert [(c.name, c.metadata["binsight"]["kind"]) for c in root] == [
        ("Kitchen", "scene"), ("Garden", "scene"), ("Alice", "character"), ("Bob", "character")]
    bob = root[3]
    assert [c.name for c in bob] == ["P001 shot p2", "P002 shot p3"]
    assert dict(bob[0].metadata["binsight"]["slate"]) == {"scene": "12A", "take": "4", "camroll": "A004",
                                                          "camera_angle": "B"}


def test_bins_json_people_bins_and_slates() -> None:
    from binsight.exporters import bins_json

    doc = bins_json.build(fx.people_binset(), ExportOptions())
    assert [(b["name"], b["kind"]) for b in doc["bins"]] == [("Kitchen", "scene"), ("Garden", "scene"),
                                                             ("Alice", "character"), ("Bob", "character")]
    assert doc["bins"][0]["children"][0]["kind"] == "character"
    assert doc["bins"][3]["shots"][1]["slate"] == {"scene": "14", "take": "1", "camroll": "", "camera_angle": ""}


def test_bin_model_checks_kinds_and_freezes() -> None:
    from binsight.bins import BinKind

    people = Bin("p", "Ann", "character")
    assert people.kind is BinKind.CHARACTER and people.clips == ()
    with pytest.raises(ValueError, match="'actor'"):
        Bin("x", "X", "actor")
    with pytest.raises(ValueError, match="a character bin cannot hold a scene bin"):
        Bin("p", "Ann", "character", children=[Bin("s", "S", "scene")])
    with pytest.raises(AttributeError):
        people.name = "Bob"  # type: ignore[misc]


# ----------------------------------------------------------------------------- text a format cannot hold


@pytest.mark.parametrize("fmt", ["fcpxml", "xmeml", "otio", "bins_json", "edl", "ale"])
def test_control_characters_in_names_never_fail_an_export(fmt: str, tmp_path: Path) -> None:
    # A vertical tab in a name used to make lxml raise "All strings must be XML compatible".
    written = export(fmt, fx.control_char_binset(), tmp_path)
    for path in written:
        data = path.read_bytes()
        if path.suffix in (".fcpxml", ".xml"):
            root = etree.fromstring(data)
            names = [e.text for e in root.iter("name")] + [e.get("name") for e in root.iter() if e.get("name")]
            assert "shot one " in names and "Scene 1" in names  # one space per character XML cannot hold
        elif path.suffix in (".edl", ".ale"):
            assert data.isascii() and not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data)
        elif path.suffix == ".csv":  # the reel map keeps the real reel and path, exactly
            (row,) = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
            assert row["Reel"] == "X\x0b001" and row["Source File"].endswith("take\x0b1\x0c.mov")
        else:
            assert b"\\u000b" in data.lower()  # JSON escapes it: the exact name survives
