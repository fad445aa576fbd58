"""Every export read back by programs that are not ours: pycmx for EDLs, OTIO's fcpx_xml adapter
for the FCPXML timelines, OTIO's adapters (with which the FCP 7 XML, EDL and OTIO exports are
turned into MLT XML), MLT's ``melt`` rendering the shots of a real clip whose frames show their
own numbers, and OpenShot's own FCP 7 XML importer.

Tests needing a Debian package skip with the apt-get line when it is absent:
``apt-get install -y melt`` (MLT 7) and ``apt-get install -y openshot-qt`` (OpenShot 2.6, its
importer runs headless with QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import av
import numpy as np
import opentimelineio as otio
import pytest

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.exporters import ExportOptions, get_exporter
from binsight.exporters.naming import ascii_line, edl_reel, reel_name

import exporter_fixtures as fx
from media_factory import encode, shared_media

OPENSHOT_PYTHON = Path("/usr/bin/python3")
OPENSHOT_DIR = Path("/usr/lib/python3/dist-packages/openshot_qt")
HARNESS = Path(__file__).with_name("export_openshot_import.py")


def expected_tc(media: SourceMedia, frame: int) -> str:
    rate = float(media.frame_rate)
    start = otio.opentime.from_timecode(media.start_timecode, rate).value
    return otio.opentime.to_timecode(otio.opentime.RationalTime(start + frame, rate), rate, media.drop_frame)


# ----------------------------------------------------------------------------- pycmx


@pytest.mark.parametrize("build_binset", [fx.all_rates_binset, fx.people_binset, fx.odd_rates_binset])
def test_pycmx_reads_every_edl_event_as_exported(build_binset) -> None:
    pycmx = pytest.importorskip("pycmx", reason="pip install pycmx (the test extra)")
    binset = build_binset()
    by_name = {c.name: c for b in binset.all_bins() for c in b.clips}
    result = get_exporter("edl").render(binset, ExportOptions(include_noise=True))
    seen = set()
    for file in result.files:
        if not file.name.endswith(".edl"):
            continue
        edl = pycmx.parse_cmx3600(io.StringIO(file.data.decode("ascii")))
        record = None
        for number, event in enumerate(edl.events, 1):
            assert event.number == number
            (edit,) = event.edits
            remarks = [s.text for s in event.statements if type(s).__name__ == "StmtRemark"]
            clip = by_name[next(r for r in remarks if r.startswith("COMMENT: "))[len("COMMENT: "):]]
            seen.add(clip.shot_id)
            media = clip.media
            rate = media.frame_rate if media.frame_rate != Fraction(299, 10) else Fraction(30000, 1001)
            conformed = SourceMedia(**{**media.__dict__, "frame_rate": rate})
            assert edit.channels.video and not edit.channels.audio
            assert edit.source == edl_reel(reel_name(media))
            assert (edit.source_in, edit.source_out) == (expected_tc(conformed, clip.start_frame),
                                                         expected_tc(conformed, clip.end_frame))
            assert edit.clip_name == ascii_line(media.name) and edit.source_file == ascii_line(media.path)
            assert record is None or edit.record_in == record  # laid end to end
            record = edit.record_out
            slate = [r for r in remarks if r.split(":")[0] in ("SCENE", "TAKE", "CAMROLL")]
            assert slate == [f"{k}: {v}" for k, v in (("SCENE", clip.slate.scene), ("TAKE", clip.slate.take),
                                                      ("CAMROLL", clip.slate.camroll)) if v]
    left_out = {c.shot_id for c in by_name.values() if c.media.frame_rate in (Fraction(10), fx.RATES["vfr"][0])}
    assert seen == {c.shot_id for c in by_name.values()} - left_out


# ----------------------------------------------------------------------------- FCPXML timelines


@pytest.mark.parametrize("version", ["1.9", "1.10", "1.11"])
def test_otio_fcpx_reader_finds_a_timeline_per_bin_with_the_exported_ranges(version: str) -> None:
    # Resolve's File > Import > Timeline reads <project>s; so does OTIO's fcpx_xml adapter. The
    # adapter reads the first event only (so the keywords layout, one event, shows every project),
    # reads media paths the pre-1.9 way (asset@src, so references come back missing) and
    # truncates NTSC rates, so the check uses the 25 fps people bins.
    pytest.importorskip("otio_fcpx_xml_adapter", reason="pip install otio-fcpx-xml-adapter")
    binset = fx.people_binset()
    result = get_exporter("fcpxml", {"version": version, "layout": "keywords"}).render(binset, ExportOptions())
    timelines = otio.adapters.read_from_string(result.files[0].data.decode("utf-8"), adapter_name="fcpx_xml")
    assert [t.name for t in timelines] == [b.name for b in binset.bins]
    for timeline, bin_ in zip(timelines, binset.bins):
        (track,) = timeline.video_tracks()
        clips = list(track.find_clips())
        assert [c.name for c in clips] == [c.name for c in bin_.clips]
        record = 3600 * 25
        for read, clip in zip(clips, bin_.clips):
            start = otio.opentime.from_timecode(clip.media.start_timecode, 25).value + clip.start_frame
            assert (read.source_range.start_time.value, read.source_range.duration.value) == \
                (start, clip.duration_frames)
            assert track.range_of_child(read).start_time.value == record
            record += clip.duration_frames


# ----------------------------------------------------------------------------- melt


def _source_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray")[::8, ::8].astype(np.float32) for f in container.decode(video=0)]


def _identify(rendered: list[np.ndarray], source: list[np.ndarray]) -> list[int]:
    """The source frame each rendered frame shows: the one it differs least from, by a clear margin
    (every frame of the counter clip prints its own number, so neighbours differ)."""
    out = []
    for frame in rendered:
        errors = np.array([np.mean((frame - s) ** 2) for s in source])
        best, second = np.sort(errors)[:2]
        assert best < 0.7 * second, "a rendered frame matches no single source frame"
        out.append(int(np.argmin(errors)))
    return out


def _melt_render(timeline: otio.schema.Timeline, media: SourceMedia, work: Path) -> list[np.ndarray]:
    """MLT XML from OTIO's mlt_xml adapter (video track only), rendered by melt losslessly."""
    if shutil.which("melt") is None:
        pytest.skip("MLT's melt is not installed (apt-get install -y melt)")
    pytest.importorskip("otio_mlt_adapter", reason="pip install otio-mlt-adapter")
    video = otio.schema.Timeline(name=timeline.name, tracks=[timeline.video_tracks()[0].clone()])
    rate = media.frame_rate
    mlt = otio.adapters.write_to_string(video, adapter_name="mlt_xml", width=media.width, height=media.height,
                                        frame_rate_num=rate.numerator, frame_rate_den=rate.denominator)
    # The adapter copies target_url verbatim; MLT opens paths, as Kdenlive and Shotcut write them.
    mlt = re.sub(r"file://[^<]*", lambda m: unquote(urlparse(m.group(0)).path), mlt)
    (work / "timeline.mlt").write_text(mlt)
    out = work / "render.mkv"
    subprocess.run(["melt", str(work / "timeline.mlt"), "-consumer", f"avformat:{out}", "vcodec=ffv1", "an=1"],
                   check=True, capture_output=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return _source_frames(out)


def _counter(path: Path, rate: Fraction, frames: int) -> SourceMedia:
    return SourceMedia(media_id=path.stem, path=str(path), name=path.name, frame_rate=rate, drop_frame=False,
                       start_timecode="00:00:00:00", reel=None, width=1920, height=1080, duration_frames=frames,
                       has_audio=False)


# Three shots out of order, one a single frame: a reader that drops a frame, or rounds in/out
# through the wrong rate, renders other numbers.
COUNTER_SHOTS = [(3, 7), (20, 25), (12, 13)]


def _counter_binset(media: SourceMedia) -> BinSet:
    clips = [BinClip(f"c{i}", f"counter {a}-{b}", media, a, b) for i, (a, b) in enumerate(COUNTER_SHOTS)]
    return BinSet("Counter", [Bin("c", "Counter", "scene", clips=clips)])


def _expected_frames() -> list[int]:
    return [f for a, b in COUNTER_SHOTS for f in range(a, b)]


@pytest.mark.parametrize("fmt, adapter", [("xmeml", "fcp_xml"), ("otio", "otio_json")])
def test_melt_renders_exactly_the_exported_frames_of_the_10fps_counter(fmt: str, adapter: str,
                                                                       tmp_path: Path) -> None:
    path = shared_media("counter.mp4").resolve()
    media = _counter(path, Fraction(10), 30)
    (exported,) = get_exporter(fmt).write(_counter_binset(media), tmp_path, ExportOptions()).paths
    read = otio.adapters.read_from_file(str(exported), adapter_name=adapter)
    timeline = read if isinstance(read, otio.schema.Timeline) else otio.schema.Timeline(
        name="Counter", tracks=[otio.schema.Track(children=[c.clone() for c in read.find_clips()])])
    rendered = _melt_render(timeline, media, tmp_path)
    assert _identify(rendered, _source_frames(path)) == _expected_frames()


def test_melt_renders_exactly_the_exported_frames_of_an_edl(tmp_path: Path) -> None:
    # The 10 fps counter has no EDL (no SMPTE rate): the same pictures re-encoded at 25 fps do.
    source = _source_frames(shared_media("counter.mp4"))
    with av.open(str(shared_media("counter.mp4"))) as container:
        pictures = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    path = tmp_path / "counter 25 été.mp4"
    encode(path, pictures, fps=Fraction(25))
    media = _counter(path, Fraction(25), len(pictures))
    files = get_exporter("edl").write(_counter_binset(media), tmp_path / "edl", ExportOptions()).paths
    (edl,) = [p for p in files if p.suffix == ".edl"]
    timeline = otio.adapters.read_from_file(str(edl), adapter_name="cmx_3600", rate=25)
    for clip in timeline.find_clips():
        # EDL comments are ASCII: point the reader's reference at the real file, as a relink would.
        clip.media_reference = otio.schema.ExternalReference(target_url=path.as_uri())
    rendered = _melt_render(timeline, media, tmp_path)
    assert _identify(rendered, source) == _expected_frames()


# ----------------------------------------------------------------------------- OpenShot


def _openshot_import(xml: Path, media_dir: Path, home: Path) -> dict:
    if not (OPENSHOT_DIR.is_dir() and OPENSHOT_PYTHON.is_file()):
        pytest.skip("OpenShot is not installed (apt-get install -y openshot-qt)")
    home.mkdir()
    run = subprocess.run([str(OPENSHOT_PYTHON), str(HARNESS), str(xml), str(media_dir)], capture_output=True,
                         text=True, timeout=120, env={"HOME": str(home), "PATH": os.environ.get("PATH", ""),
                                                     "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"})
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"OpenShot's importer failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return json.loads(lines[0][len("RESULT "):])


def test_openshot_imports_our_fcp7_xml_at_the_exported_frames(tmp_path: Path) -> None:
    # OpenShot's importer used to fail on our tracks (IndexError: no <locked>).
    counter = shared_media("counter.mp4").resolve()
    deer = shared_media("testvideo.mp4").resolve()
    a = _counter(counter, Fraction(10), 30)
    b = SourceMedia(media_id="deer", path=str(deer), name=deer.name, frame_rate=Fraction(30000, 1001),
                    drop_frame=False, start_timecode="00:00:00:00", reel=None, width=1280, height=720,
                    duration_frames=720, has_audio=False)
    scene = Bin("s", "Scene", "scene", clips=[BinClip("c1", "counter 3-7", a, 3, 7), BinClip("d1", "deer", b, 30, 180)])
    people = Bin("p", "Ann", "character", clips=[BinClip("c2", "counter 20-25", a, 20, 25)])
    (xml,) = get_exporter("xmeml").write(BinSet("OpenShot", [scene, people]), tmp_path, ExportOptions()).paths
    result = _openshot_import(xml, counter.parent, tmp_path / "home")
    fps = Fraction(result["fps"]["num"], result["fps"]["den"])
    got = [(c["title"], Path(c["path"]).name, round(Fraction(c["start"]).limit_denominator(100000) * fps),
            round(Fraction(c["end"]).limit_denominator(100000) * fps)) for c in result["clips"]]
    # OpenShot 2.6 reads only clipitems that carry a full <file> (it skips id references, which
    # its importer takes for linked audio), and counts frames at its own project rate.
    assert sorted(got) == sorted([("counter 3-7", "counter.mp4", 3, 7), ("deer", "testvideo.mp4", 30, 180)])
    # It takes <pathurl> for a plain path, so it asked once for the media folder.
    assert result["prompts"]["folder"] == 1
