"""Slates through the server: read after ingest, naming shots "12A/3" and bins "Sc 12A", the
scene / setup / take tree, slate fields in ALE and FCPXML (read back by independent parsers),
and an editor's correction that wins over every later read and undoes like any other."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

import slate_factory as sf
from binsight_client import errors

pytestmark = pytest.mark.skipif(not sf.font_available("sans"), reason="DejaVu Sans Bold is absent "
                                "(Debian fonts-dejavu-core): the boards cannot be drawn")

DTD = Path(__file__).resolve().parents[1].parent / "shared" / "fcpxml-dtd" / "FCPXMLv1_11.dtd"


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> dict[str, Path]:
    """Two takes of setup 12A (same set, head slates), a tail-slated take of 14, and a clip
    with no slate."""
    folder = tmp_path_factory.mktemp("slated")
    return {
        "12A-1": sf.slate_clip(folder / "A001C001.mp4", sf.Slate(scene="12A", take="1"), seed=3),
        "12A-2": sf.slate_clip(folder / "A001C002.mp4", sf.Slate(scene="12A", take="2"), seed=3),
        "14-3": sf.slate_clip(folder / "A001C003.mp4", sf.Slate(scene="14", take="3"), position="tail", seed=11,
                              shot=sf.Shot(inverted=True)),
        "none": sf.slate_clip(folder / "A001C004.mp4", None, seed=21),
    }


def _by_path(client) -> dict[str, str]:
    return {Path(m.path).name: m.media_id for m in client.list_media()}


def test_slates_name_shots_and_bins_and_fill_the_exports(start_server, takes, tmp_path) -> None:
    _, client = start_server(**{"faces.enabled": False, "slates.enabled": True})
    stages: list[str] = []
    job = client.ingest([str(p) for p in takes.values()], on_event=lambda e: stages.append(e.stage))
    assert job.state == "succeeded"
    assert stages.count("slate") == 4 and stages.index("slate") > max(i for i, s in enumerate(stages) if s == "store")

    slates = {Path(s.media_path).name: s for s in client.list_slates().slates}
    assert {name: s.label for name, s in slates.items()} == {
        "A001C001.mp4": "12A/1", "A001C002.mp4": "12A/2", "A001C003.mp4": "14/3"}
    assert slates["A001C003.mp4"].position == "tail" and slates["A001C003.mp4"].inverted
    assert all(s.source == "ocr" and not s.unsure for s in slates.values())
    assert slates["A001C001.mp4"].value_of("roll") == "A004"

    tree = client.list_slates().scenes
    assert [(sc.scene, [(su.setup, [t.take for t in su.takes]) for su in sc.setups]) for sc in tree] == [
        ("12", [("12A", ["1", "2"])]), ("14", [("14", ["3"])])]

    # every shot of a slated clip carries its label; a bin holding one is named after its setups
    shots = client.list_shots()
    for shot in shots:
        name = Path(shot.media_path).name
        expected = slates[name].label if name in slates else ""
        assert shot.slate.split(" #")[0] == expected, (name, shot.slate)
    clusters = client.list_clusters()
    for cluster in clusters.clusters:
        setups = sorted({slates[Path(s.media_path).name].setup for s in cluster.shots
                         if Path(s.media_path).name in slates}, key=lambda x: int("".join(filter(str.isdigit, x))))
        if setups:
            assert cluster.name == "Sc " + ", ".join(setups), (cluster.name, [s.media_path for s in cluster.shots])

    # ALE: Avid's Scene / Take / Camroll columns, read by OTIO's ALE adapter
    ale = client.export("ale", options={"ale_layout": "single"})
    path = tmp_path / ale.files[0].name
    path.write_bytes(ale.files[0].data)
    collection = otio.adapters.read_from_file(str(path), adapter_name="ale")  # kept: its clips live in it
    rows = {c.name: dict(c.metadata["ALE"]) for c in collection}
    take_rows = [r for name, r in rows.items() if name.startswith("12A/1")]
    assert take_rows and all((r["Scene"], r["Take"], r["Camroll"]) == ("12A", "1", "A004") for r in take_rows)

    # FCPXML: valid against Apple's DTD, Final Cut's scene / take keys on each slated clip
    fcpxml = client.export("fcpxml", options={"fcpxml_version": "1.11"}).files[0].data
    root = etree.fromstring(fcpxml)
    if DTD.is_file():
        assert etree.DTD(str(DTD)).validate(root)
    clip = next(c for c in root.iter("asset-clip") if c.get("name", "").startswith("14/3"))
    angle = {"com.apple.proapps.studio.angle": "A"} if slates["A001C003.mp4"].value_of("camera") else {}
    assert {md.get("key"): md.get("value") for md in clip.iter("md")} == {
        "com.apple.proapps.studio.scene": "14", "com.apple.proapps.studio.shot": "3", **angle}


def test_an_editors_slate_wins_over_every_read_and_undoes(start_server, takes) -> None:
    server, client = start_server(**{"faces.enabled": False, "slates.enabled": True})
    client.ingest([str(takes["none"]), str(takes["12A-1"])])
    media = _by_path(client)
    assert client.list_slates().scenes[0].setups[0].setup == "12A"

    # refused, nothing changes: an unknown field, an unknown clip
    with pytest.raises(errors.InvalidArgument, match="no slate field 'shot'.*scene, take"):
        client.correct_slate(media["A001C004.mp4"], {"shot": "3"})
    with pytest.raises(errors.NotFound):
        client.correct_slate("0" * 16, {"scene": "9"})
    assert len(client.list_feedback()) == 0

    result = client.correct_slate(media["A001C004.mp4"], {"scene": "31B", "take": "4"})
    assert result.event.action == "correct_slate" and result.event.to_id == "31B/4"
    slates = {Path(s.media_path).name: s for s in client.list_slates().slates}
    assert slates["A001C004.mp4"].label == "31B/4" and slates["A001C004.mp4"].source == "editor"
    named = {c.name for c in client.list_clusters().clusters
             if any(Path(s.media_path).name == "A001C004.mp4" for s in c.shots)}
    assert named and all("31B" in n for n in named)

    client.undo()
    assert "A001C004.mp4" not in {Path(s.media_path).name for s in client.list_slates().slates}
    assert not any("31B" in c.name for c in client.list_clusters().clusters)
    client.redo()

    # a forced re-ingest reads the clip again: the editor's entry wins, on the new version too
    client.ingest([str(takes["none"]), str(takes["12A-1"])], force=True)
    slates = {Path(s.media_path).name: s for s in client.list_slates().slates}
    assert slates["A001C004.mp4"].label == "31B/4" and slates["A001C004.mp4"].source == "editor"
    assert slates["A001C001.mp4"].label == "12A/1" and slates["A001C001.mp4"].source == "ocr"

    # and after a restart
    server.stop()
    _, client = start_server(**{"faces.enabled": False, "slates.enabled": True})
    assert {Path(s.media_path).name: s.label for s in client.list_slates().slates} == {
        "A001C001.mp4": "12A/1", "A001C004.mp4": "31B/4"}
