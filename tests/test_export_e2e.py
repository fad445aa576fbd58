"""Export from a real ingested project through the Export RPC, read back by OpenTimelineIO."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from binsight_client import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from media_factory import shared_media

DTD_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "fcpxml-dtd"


@pytest.fixture
def ingested(served):
    _, client = served
    client.ingest([str(shared_media("counter.mp4")), str(shared_media("testvideo.mp4"))])
    client.recluster()
    return client


def test_every_format_exports_and_reads_back(ingested, tmp_path: Path) -> None:
    client = ingested
    shots = {s.shot_id: s for s in client.list_shots()}
    ntsc = [s for s in shots.values() if s.media_path.endswith("testvideo.mp4")]

    # OTIO's EDL reader knows SMPTE rates only: read back the 29.97 file's events (the 10 fps
    # counter clip gets its own EDL, which CMX 3600 readers cannot take)
    edl_files = [f for f in client.export("edl", out_dir="edl") if f.name.endswith(".edl")]
    clips = []
    for f in edl_files:
        if "testvideo.mp4" in Path(f.path).read_text():
            clips += otio.adapters.read_from_file(f.path, rate=30000 / 1001).find_clips()
    ranges = sorted((c.source_range.start_time.to_frames(), c.source_range.duration.to_frames()) for c in clips)
    assert ranges == sorted((s.start_frame, s.end_frame - s.start_frame) for s in ntsc)

    (otio_file,) = client.export("otio", out_dir="otio")
    collection = otio.adapters.read_from_file(otio_file.path)
    exported = {c.name: c for c in collection.find_clips()}
    assert len(exported) == len(shots)
    for clip in exported.values():
        assert Path(clip.media_reference.target_url.replace("file://", "")).name in ("counter.mp4", "testvideo.mp4")

    xml_files = client.export("xmeml", out_dir="xmeml")
    timelines = otio.adapters.read_from_file(xml_files[0].path, adapter_name="fcp_xml")
    assert len(list(timelines.find_clips())) >= len(shots)

    for version in ("1.9", "1.10", "1.11"):
        (fcpxml,) = client.export("fcpxml", out_dir=f"fcpxml{version}",
                                  options={"fcpxml_version": version})
        if DTD_DIR.is_dir():
            dtd = etree.DTD(str(DTD_DIR / f"FCPXMLv{version.replace('.', '_')}.dtd"))
            assert dtd.validate(etree.parse(fcpxml.path)), dtd.error_log.filter_from_errors()

    ale_files = [f for f in client.export("ale", out_dir="ale") if f.name.endswith(".ale")]
    ale_names = set()
    for f in ale_files:
        if "FPS\t10" in Path(f.path).read_text():
            continue  # Avid (and OTIO's ALE reader) take SMPTE rates only; 10 fps gets its own file
        for clip in otio.adapters.read_from_file(f.path, adapter_name="ale").find_clips():
            ale_names.add(clip.name)
    ntsc_names = {name for name, clip in exported.items() if "testvideo" in clip.media_reference.target_url}
    assert ale_names == ntsc_names, "every 29.97 shot is a row of an ALE, under the name the OTIO export uses"

    (as_bytes,) = client.export("bins_json")
    assert as_bytes.data.startswith(b"{") and not as_bytes.path


def test_bad_export_requests(ingested, served, tmp_path: Path) -> None:
    server, _ = served
    root = server.config.exports_path
    with pytest.raises(InvalidArgument, match="unknown export format"):
        ingested.export("avid-bin", out_dir="day1")
    with pytest.raises(InvalidArgument, match="fcpxml_version"):
        ingested.export("fcpxml", out_dir="day1", options={"fcpxml_version": "2.0"})
    with pytest.raises(NotFound, match="no cluster"):
        ingested.export("otio", out_dir="day1", cluster_ids=["scene-99999"])
    assert not (root / "day1").exists(), "a refused export writes nothing"
    # the server writes only under its export root, and never over a file unless asked
    for outside in (str(tmp_path / "elsewhere"), "/proc/binsight", "../../escape", str(Path.home() / ".config" / "x")):
        with pytest.raises(PermissionDenied, match="export root"):
            ingested.export("otio", out_dir=outside)
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(InvalidArgument, match="NUL"):
        ingested.export("otio", out_dir="bad\0name")
    root.mkdir(parents=True, exist_ok=True)
    (root / "a_file").write_text("mine")
    with pytest.raises(InvalidArgument, match="is a file"):
        ingested.export("otio", out_dir="a_file")
    (first,) = ingested.export("otio", out_dir="day2", project="bins")
    with pytest.raises(FailedPrecondition, match="exist"):
        ingested.export("otio", out_dir="day2", project="bins")
    (again,) = ingested.export("otio", out_dir="day2", project="bins", overwrite=True)
    assert again.path == first.path and (root / "a_file").read_text() == "mine"
