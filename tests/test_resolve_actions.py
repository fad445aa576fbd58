"""The Resolve panels' actions against a real Binsight server ingesting real files, with a fake
Resolve whose Media Pool items point at those files (tests/resolve_fake.py)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from binsight_panels.resolve import actions
from binsight_panels.resolve.actions import EditorChange, PanelError
from binsight_panels.resolve.pool import parse_rate
from media_factory import encode, shared_media
from resolve_fake import CLIP_COLORS, MARKER_COLORS, make_resolve
from test_server import FPS, SETUPS, SIZE, tinted

SCENES = {**SETUPS, "street": (9, (230, 230, 30))}  # street is seen once: it ends in the noise bucket
# a.mp4: kitchen | garden | street (20 frames each); b.mp4: kitchen | office | garden | office
PLAN_A = [("kitchen", "still", 20), ("garden", "pan", 20), ("street", "still", 20)]
PLAN_B = [("kitchen", "still", 20), ("office", "still", 20), ("garden", "pan", 20), ("office", "still", 20)]


def _clip(path: Path, plan: list) -> Path:
    """Hard cuts between setups (stills shifted a little per shot, pans 3 px a frame)."""
    frames: list = []
    for i, (setup, kind, n) in enumerate(plan):
        seed, tint = SCENES[setup]
        step = 3 if kind == "pan" else 0
        wide = tinted(seed, tint, SIZE[0] + 40 + step * n)
        shift = 4 * i if kind == "still" else 0
        frames += [wide[:, shift + j * step:shift + j * step + SIZE[0]] for j in range(n)]
    return encode(path, frames, fps=FPS, stream_metadata={"timecode": "01:00:00:00"})


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    return {"a": _clip(folder / "a.mp4", PLAN_A), "b": _clip(folder / "b.mp4", PLAN_B)}


def editor_project(footage: dict[str, Path], **kwargs):
    """A Resolve project as an editor set it up: a.mp4 in a "Day 1" bin, b.mp4 in "Day 2"."""
    resolve, fusion, bmd = make_resolve(**kwargs)
    pool = resolve.media_pool
    root = pool.GetRootFolder()
    for name, key in (("Day 1", "a"), ("Day 2", "b")):
        pool.SetCurrentFolder(pool.AddSubFolder(root, name))
        pool.ImportMedia([str(footage[key])])
    return resolve, fusion, bmd


@pytest.fixture
def studio(footage):
    return editor_project(footage)


@pytest.fixture
def sorted_project(served, studio, tmp_path):
    """Both clips ingested through the panel and reclustered: (resolve, client, state dir)."""
    resolve, _, _ = studio
    _, client = served
    report = actions.ingest(resolve, client, "pool")
    assert actions.wait_for_job(client, report.job_id).state == "succeeded"
    client.recluster()
    return resolve, client, tmp_path / "state"


def bins_by_clip(client) -> dict[str, list[actions.BinInfo]]:
    """Per file name, the bins of its shots in shot order (scene bins and noise)."""
    out: dict[str, list] = {}
    for b in actions.bins_of(client.list_clusters()):
        for shot in b.shots:
            out.setdefault(Path(shot.media_path).name, []).append((shot.start_frame, b))
    return {name: [b for _, b in sorted(pairs, key=lambda p: p[0])] for name, pairs in out.items()}


# ------------------------------------------------------------------------------------------------
def test_ingest_sends_each_file_once_with_resolves_clip_properties(served, studio) -> None:
    resolve, _, _ = studio
    _, client = served
    pool = resolve.media_pool
    day1 = pool.GetRootFolder().sub("Day 1")
    pool.SetCurrentFolder(day1)
    pool.CreateEmptyTimeline("Selects")  # a timeline sits in the bin too: not footage

    report = actions.ingest(resolve, client, "bin")
    assert report.sent == (str(day1.GetClipList()[0].GetClipProperty("File Path")),)
    assert report.not_footage == ("Selects (Timeline)",)
    (clip,) = report.clips
    assert (clip.name, clip.fps, clip.start_tc) == ("a.mp4", "25.0", "01:00:00:00")
    assert clip.uid == day1.GetClipList()[0].GetUniqueId()
    assert actions.wait_for_job(client, report.job_id).state == "succeeded"
    (media,) = client.list_media()
    assert media.frame_rate == parse_rate(clip.fps) == Fraction(25) and media.start_timecode == clip.start_tc

    again = actions.ingest(resolve, client, "bin")
    assert (again.job_id, again.sent, again.already_ingested) == ("", (), ("a.mp4",))
    whole = actions.ingest(resolve, client, "pool")
    assert [Path(p).name for p in whole.sent] == ["b.mp4"] and whole.already_ingested == ("a.mp4",)
    assert actions.wait_for_job(client, whole.job_id).state == "succeeded"
    assert sorted(Path(m.path).name for m in client.list_media()) == ["a.mp4", "b.mp4"]
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_ingest_selection_needs_19_0_2(served, footage) -> None:
    _, client = served
    old, _, _ = editor_project(footage, version=(19, 0, 1))
    with pytest.raises(PanelError, match="19.0.2"):
        actions.ingest(old, client, "selection")
    assert old.unknown_calls == [], "the version is checked before the call is made"
    new, _, _ = editor_project(footage, version=(19, 0, 2))
    item = new.media_pool.GetRootFolder().sub("Day 2").GetClipList()[0]
    new.media_pool.SetSelectedClip(item)
    report = actions.ingest(new, client, "selection")
    assert [Path(p).name for p in report.sent] == ["b.mp4"]
    assert actions.wait_for_job(client, report.job_id).state == "succeeded"
    with pytest.raises(PanelError, match="unknown scope"):
        actions.ingest(new, client, "everything")


def test_move_mode_is_idempotent_and_respects_hand_moves(sorted_project) -> None:
    resolve, client, state = sorted_project
    pool = resolve.media_pool
    root = pool.GetRootFolder()
    per_clip = bins_by_clip(client)
    # a.mp4: three 20-frame shots in three bins -> the bin of its first shot; b.mp4: 40 office frames
    home_a = per_clip["a.mp4"][0]
    home_b = per_clip["b.mp4"][1]
    assert per_clip["b.mp4"][1].bin_id == per_clip["b.mp4"][3].bin_id
    assert per_clip["a.mp4"][2].kind == "noise"

    first = actions.create_bins(resolve, client, "move", state)
    assert first.errors == () and first.editor_changes == ()
    binsight = root.sub("Binsight")
    names = {b.name for b in actions.bins_of(client.list_clusters())}
    assert set(binsight.tree()["folders"]) == names and "Noise" in names
    assert binsight.sub(home_a.name).names() == ["a.mp4"] and binsight.sub(home_b.name).names() == ["b.mp4"]
    assert root.sub("Day 1").names() == [] and root.sub("Day 2").names() == []
    assert sorted(first.clips_moved) == sorted([f"a.mp4 -> Master/Binsight/{home_a.name}",
                                                f"b.mp4 -> Master/Binsight/{home_b.name}"])
    assert any(n.startswith("a.mp4 has shots in 3 bins") for n in first.notes)

    snapshot = root.tree()
    second = actions.create_bins(resolve, client, "move", state)
    assert not second.changed and second.folders_created == () and second.clips_moved == ()
    assert root.tree() == snapshot, "a second run changes nothing in the Media Pool"

    # the editor drags b.mp4 back into Day 2: reported once, then left there
    b_item = binsight.sub(home_b.name).GetClipList()[0]
    pool.MoveClips([b_item], root.sub("Day 2"))
    third = actions.create_bins(resolve, client, "move", state)
    assert third.editor_changes == (EditorChange("b.mp4", "moved", f"from Master/Binsight/{home_b.name} "
                                                                   f"to Master/Day 2"),)
    assert not third.changed and root.sub("Day 2").names() == ["b.mp4"]
    fourth = actions.create_bins(resolve, client, "move", state)
    assert fourth.editor_changes == () and fourth.respected == 1 and root.sub("Day 2").names() == ["b.mp4"]

    # a merge on the server moves a.mp4 with its bin and removes the emptied folder
    other = per_clip["a.mp4"][1]
    client.merge_clusters([other.bin_id, home_a.bin_id])
    fifth = actions.create_bins(resolve, client, "move", state)
    assert fifth.clips_moved == (f"a.mp4 -> Master/Binsight/{other.name}",)
    # the absorbed bin's folder goes; so does any other the merge emptied (a noise shot that the
    # grown bin now takes, on the server's re-scoring after every correction)
    live = {b.name for b in actions.bins_of(client.list_clusters())}
    assert f"Master/Binsight/{home_a.name}" in fifth.folders_removed
    assert all(f.rsplit("/", 1)[1] not in live for f in fifth.folders_removed)
    assert binsight.sub(other.name).names() == ["a.mp4"]
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_tag_mode_is_idempotent_and_leaves_the_editors_changes(sorted_project) -> None:
    resolve, client, state = sorted_project
    root = resolve.media_pool.GetRootFolder()
    a_item = root.sub("Day 1").GetClipList()[0]
    per_clip = bins_by_clip(client)
    shots_a = sorted((s for b in actions.bins_of(client.list_clusters()) if b.kind != "character"
                      for s in b.shots if s.media_path.endswith("a.mp4")), key=lambda s: s.start_frame)

    first = actions.create_bins(resolve, client, "tag", state)
    assert first.errors == () and first.markers_added == 7  # every shot of both clips
    assert [f.GetName() for f in root.GetSubFolderList()] == ["Day 1", "Day 2"], "tag mode moves nothing"
    assert a_item.GetMetadata("Keywords") == ", ".join(b.name for b in per_clip["a.mp4"])
    assert a_item.GetClipColor() in CLIP_COLORS
    markers = a_item.GetMarkers()
    assert sorted(markers) == [0.0, 20.0, 40.0]
    for shot in shots_a:
        marker = markers[float(shot.start_frame)]
        assert marker["duration"] == 20.0 and marker["name"] == f"a.mp4 #{shot.index + 1}"
        assert marker["customData"] == f"binsight:{shot.shot_id}" and marker["color"] in MARKER_COLORS
    assert markers[40.0]["note"].startswith("Noise, 01:00:01:15-01:00:02:10")

    snapshot = (a_item.GetMetadata(), a_item.GetClipColor(), a_item.GetMarkers())
    second = actions.create_bins(resolve, client, "tag", state)
    assert not second.changed and second.markers_added == 0
    assert (a_item.GetMetadata(), a_item.GetClipColor(), a_item.GetMarkers()) == snapshot

    # the editor adds a keyword and a marker, removes one of ours and recolours the clip
    ours = [b.name for b in per_clip["a.mp4"]]
    a_item.SetMetadata("Keywords", ", ".join(["hero"] + ours[1:]))
    a_item.AddMarker(5, "Red", "boom in shot", "", 1, "")
    mine = "Teal" if a_item.GetClipColor() != "Teal" else "Navy"
    a_item.SetClipColor(mine)
    third = actions.create_bins(resolve, client, "tag", state)
    assert set(third.editor_changes) == {EditorChange("a.mp4", "removed keyword", f"{ours[0]!r}; not added back"),
                                         EditorChange("a.mp4", "recoloured", f"from {snapshot[1]} to {mine}")}
    assert not third.changed
    assert _keywords(a_item) == ["hero"] + ours[1:] and a_item.GetClipColor() == mine
    assert a_item.GetMarkers()[5.0]["name"] == "boom in shot" and len(a_item.GetMarkers()) == 4

    # a bin renamed on the server: our keyword and marker notes follow, the editor's stay
    garden = per_clip["a.mp4"][1]
    client.rename_cluster(garden.bin_id, "Garden")
    fourth = actions.create_bins(resolve, client, "tag", state)
    assert fourth.editor_changes == () and fourth.respected == 1  # a.mp4's colour stays the editor's
    assert _keywords(a_item) == ["hero", "Noise", "Garden"]
    assert a_item.GetMarkers()[20.0]["note"].startswith("Garden, ")
    assert resolve.unknown_calls == [] and resolve.upsells == []


def _keywords(item) -> list[str]:
    return [k.strip() for k in item.GetMetadata("Keywords").split(",")]


@pytest.mark.parametrize("version", [(20, 2, 0), (18, 6, 0)])
def test_timelines_hold_the_exact_shot_ranges(served, footage, tmp_path, version) -> None:
    """18.6 reads endFrame as inclusive (per nakano000/Resolve_Script#23); the fake models both,
    and the panel gives each build what it expects."""
    resolve, _, _ = editor_project(footage, version=version)
    _, client = served
    actions.wait_for_job(client, actions.ingest(resolve, client, "pool").job_id)
    client.recluster()
    bins = actions.bins_of(client.list_clusters())
    pool = resolve.media_pool
    current = pool.GetRootFolder().sub("Day 2")
    pool.SetCurrentFolder(current)

    reports = actions.make_timelines(resolve, client, [b.bin_id for b in bins], tmp_path / "state")
    assert [r.problems for r in reports] == [()] * len(bins)
    read_back = version >= (19, 0, 2)  # TimelineItem.GetSourceStartFrame
    assert [r.notes for r in reports] == [() if read_back else
                                          ("in points not read back: TimelineItem.GetSourceStartFrame needs "
                                           "Resolve 19.0.2",)] * len(bins)
    project = resolve.project
    assert project.GetTimelineCount() == len(bins)
    for b, report in zip(bins, reports):
        timeline = project.GetTimelineByIndex(reports.index(report) + 1)
        assert timeline.GetName() == report.timeline == b.name
        items = timeline.GetItemListInTrack("video", 1)
        assert [(i.GetMediaPoolItem().GetName(), i.source_start, i.GetDuration()) for i in items] == \
            [(Path(s.media_path).name, s.start_frame, s.end_frame - s.start_frame) for s in b.shots]
        starts = [i.GetStart() for i in items]
        assert starts[0] == timeline.GetStartFrame() and starts == sorted(starts), "butt-joined from the start"
        assert report.frames == sum(s.end_frame - s.start_frame for s in b.shots)
    timelines = pool.GetRootFolder().sub("Binsight").sub("Timelines")
    assert sorted(timelines.names()) == sorted(b.name for b in bins)
    assert pool.GetCurrentFolder() is current, "the editor's current bin is restored"

    (again,) = actions.make_timelines(resolve, client, [bins[0].bin_id], tmp_path / "state")
    assert again.timeline == f"{bins[0].name} 2" and project.GetTimelineCount() == len(bins) + 1
    with pytest.raises(PanelError, match="no bin scene-99999"):
        actions.make_timelines(resolve, client, ["scene-99999"], tmp_path / "state")
    assert project.GetTimelineCount() == len(bins) + 1
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_timeline_of_a_10fps_clip_on_a_25fps_timeline(served, tmp_path) -> None:
    """Real footage at another rate: Resolve converts each shot to timeline frames (flooring);
    the read-back check expects that and finds it."""
    counter = shared_media("counter.mp4")
    resolve, _, _ = make_resolve(timeline_fps=25)
    resolve.media_pool.ImportMedia([str(counter)])
    _, client = served
    actions.wait_for_job(client, actions.ingest(resolve, client, "pool").job_id)
    (scene,) = [b for b in actions.bins_of(client.list_clusters()) if b.kind != "character"][:1]
    (report,) = actions.make_timelines(resolve, client, [scene.bin_id], tmp_path / "state")
    assert report.problems == ()
    assert report.frames == sum((s.end_frame - s.start_frame) * 25 // 10 for s in scene.shots)


def test_export_writes_files_that_parse(sorted_project, tmp_path) -> None:
    _, client, _ = sorted_project
    bins = [b for b in actions.bins_of(client.list_clusters()) if b.kind == "scene"]
    out = tmp_path / "exports"
    report = actions.export(client, "otio", [bins[0].bin_id], str(out), project="Dailies")
    (path,) = report.files
    clips = list(otio.adapters.read_from_file(path).find_clips())
    ranges = sorted((c.source_range.start_time.to_frames(), c.source_range.duration.to_frames()) for c in clips)
    # OTIO counts source frames in timecode: 01:00:00:00 at 25 fps is frame 90000
    assert ranges == sorted((90000 + s.start_frame, s.end_frame - s.start_frame) for s in bins[0].shots)
    xml = actions.export(client, "xmeml", [], str(out / "xml"))
    assert xml.files and all(Path(f).is_file() for f in xml.files)
    timelines = otio.adapters.read_from_file(xml.files[0], adapter_name="fcp_xml")
    assert len(list(timelines.find_clips())) >= sum(len(b.shots) for b in bins)

    with pytest.raises(PanelError, match="unknown export format 'avid'"):
        actions.export(client, "avid", [], str(tmp_path / "never"))
    with pytest.raises(PanelError, match="is a file"):
        actions.export(client, "otio", [], path)
    assert not (tmp_path / "never").exists(), "a refused export writes nothing"
