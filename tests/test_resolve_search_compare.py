"""The Resolve panels' Search and Compare actions against a real Binsight server ingesting real
files, with the fake Resolve of tests/resolve_fake.py (its render queue writes real MP4s)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import cut_versions as cv
import media_factory as mf
from binsight_panels.resolve import actions
from binsight_panels.resolve.actions import PanelError
from clip_pack_factory import make_clip_pack
from resolve_fake import make_resolve
from test_resolve_actions import editor_project, footage  # noqa: F401  (the module fixture)


def _ingested(resolve, client) -> None:
    report = actions.ingest(resolve, client, "pool")
    assert actions.wait_for_job(client, report.job_id).state == "succeeded"
    client.recluster()


def _label(shot) -> str:
    return f"{Path(shot.media_path).name} #{shot.index + 1}"


# ------------------------------------------------------------------------------------------------
# search
# ------------------------------------------------------------------------------------------------
def test_more_like_the_selected_clip_becomes_a_bin_and_a_timeline(served, footage, tmp_path) -> None:  # noqa: F811
    _, client = served
    resolve, _, _ = editor_project(footage)
    _ingested(resolve, client)
    pool = resolve.media_pool
    a_item = pool.GetRootFolder().sub("Day 1").GetClipList()[0]
    with pytest.raises(PanelError, match=r"select exactly one footage clip in the Media Pool \(0 selected\)"):
        actions.search_like_clip(resolve, client)
    pool.SetSelectedClip(a_item)

    results = actions.search_like_clip(resolve, client)
    # a.mp4 is kitchen | garden | street; b.mp4 is kitchen | office | garden | office
    assert results.query == "like a.mp4" and results.excluded == 3
    assert sorted(_label(s) for s in results.shots) == ["b.mp4 #1", "b.mp4 #2", "b.mp4 #3", "b.mp4 #4"]
    scores = [score for _, score in results.hits]
    assert scores == sorted(scores, reverse=True)
    assert {_label(s) for s in results.shots[:2]} == {"b.mp4 #1", "b.mp4 #3"}, "the same setups rank first"
    assert results.lines()[0] == "like a.mp4: 4 shots (3 of the example clip's own left out)"

    before = {c.cluster_id for c in client.list_clusters().clusters}
    bin_id = actions.results_to_bin(client, results, "Like a")
    after = {c.cluster_id: c for c in client.list_clusters().clusters}
    assert set(after) - before == {bin_id} and after[bin_id].name == "Like a"
    assert sorted(s.shot_id for s in after[bin_id].shots) == sorted(s.shot_id for s in results.shots)
    (event,) = [e for e in client.list_feedback() if e.action == "create_bin"]
    assert event.actor == "tester"

    report = actions.timeline_of_shots(resolve, "Like a", results.shots, tmp_path / "state")
    assert report.timeline == "Like a" and report.problems == () and report.shots == 4
    timeline = resolve.project.GetTimelineByIndex(1)
    assert [(i.GetMediaPoolItem().GetName(), i.GetSourceStartFrame(), i.GetDuration())
            for i in timeline.GetItemListInTrack("video", 1)] == \
        [(Path(s.media_path).name, s.start_frame, s.end_frame - s.start_frame) for s in results.shots]
    assert pool.GetRootFolder().sub("Binsight").sub("Timelines").names() == ["Like a"]
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_selection_search_needs_19_0_2_and_an_ingested_clip(served, footage) -> None:  # noqa: F811
    _, client = served
    old, _, _ = editor_project(footage, version=(19, 0, 1))
    with pytest.raises(PanelError, match="needs Resolve 19.0.2 or later"):
        actions.search_like_clip(old, client)
    assert old.unknown_calls == []
    resolve, _, _ = editor_project(footage)
    resolve.media_pool.SetSelectedClip(resolve.media_pool.GetRootFolder().sub("Day 2").GetClipList()[0])
    with pytest.raises(PanelError, match="b.mp4 is not ingested yet"):
        actions.search_like_clip(resolve, client)


def test_text_search_is_refused_with_the_model_without_a_clip_pack(served) -> None:
    _, client = served
    available, reason = actions.text_search_state(client)
    model = client.status().scene_model.name
    assert not available and model.startswith("pixels")
    assert reason.startswith(f"text search needs a CLIP pack; the server's scene model is {model}")
    with pytest.raises(PanelError, match="needs a CLIP pack"):
        actions.search_words(client, "a kitchen")
    with pytest.raises(PanelError, match="type what to look for"):
        actions.search_words(client, "  ")


def test_text_search_with_a_clip_pack(start_server, footage, tmp_path) -> None:  # noqa: F811
    manifest = make_clip_pack(tmp_path / "pack")
    from binsight.models.manager import ModelManager
    ModelManager(tmp_path / "data" / "models").import_pack(tmp_path / "pack")
    _, client = start_server(**{"faces.enabled": False})
    available, reason = actions.text_search_state(client)
    assert available and reason == f"text search with {client.status().scene_model.name}"
    assert client.status().scene_model.model_id == manifest.model_id
    resolve, _, _ = editor_project(footage)
    _ingested(resolve, client)
    results = actions.search_words(client, "the dog", limit=5)
    expected = client.search_text("the dog", limit=5)
    assert results.query == "text: the dog"
    assert [(s.shot_id, score) for s, score in results.hits] == [(h.shot.shot_id, h.score) for h in expected]
    assert len(results.hits) == 5


# ------------------------------------------------------------------------------------------------
# compare
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> dict:
    """A five-shot cut and a version with a spare shot inserted before shot 4 (as in
    tests/test_compare_e2e.py), each frame range known."""
    folder = tmp_path_factory.mktemp("cut")
    shots = cv.generated_pool()
    v1 = shots[:5]
    v2 = [*v1[:3], shots[7], *v1[3:]]
    at = sum(len(s) for s in v1[:3])
    return {"v1": mf.encode(folder / "cut_v1.mp4", [f for s in v1 for f in s], fps=Fraction(25)),
            "v2": mf.encode(folder / "cut_v2.mp4", [f for s in v2 for f in s], fps=Fraction(25)),
            "at": at, "inserted": len(shots[7]), "v1_frames": sum(len(s) for s in v1)}


def _cut_project(cut):
    resolve, fusion, bmd = make_resolve()
    resolve.media_pool.ImportMedia([str(cut["v1"]), str(cut["v2"])])
    return resolve, fusion, bmd


def _version(resolve, kind: str, name: str) -> actions.Version:
    (found,) = [v for v in actions.versions_in(resolve) if (v.kind, v.name) == (kind, name)]
    return found


def test_two_clips_get_one_coloured_marker_per_difference_idempotently(served, cut) -> None:
    _, client = served
    resolve, _, _ = _cut_project(cut)
    a, b = _version(resolve, "clip", "cut_v1.mp4"), _version(resolve, "clip", "cut_v2.mp4")
    b_item = b.target
    b_item.AddMarker(2, "Red", "editor's note", "keep me", 1, "")
    b_item.AddMarker(90, "Blue", "stale", "", 1, "binsight-compare:7")  # from an earlier compare

    first = actions.mark_differences(resolve, client, a, b)
    assert first.counts == (("inserted", 1),) and first.unchanged == 5
    assert (first.markers_added, first.markers_removed, first.markers_kept, first.conflicts) == (1, 1, 0, ())
    markers = b_item.GetMarkers()
    assert markers[2.0] == {"color": "Red", "duration": 1.0, "note": "keep me", "name": "editor's note",
                            "customData": ""}
    (frame,) = [f for f, m in markers.items() if m["customData"].startswith("binsight-compare:")]
    ours = markers[frame]
    assert abs(frame - cut["at"]) <= 1 and (ours["color"], ours["name"]) == ("Green", "Inserted")
    assert ours["customData"] == "binsight-compare:0" and abs(ours["duration"] - cut["inserted"]) <= 2
    assert ours["note"].startswith("B 00:00:") and "distance" in ours["note"]
    assert first.lines()[0] == "cut_v1.mp4 -> cut_v2.mp4: 1 inserted; 5 shots unchanged"

    again = actions.mark_differences(resolve, client, a, b)
    assert (again.markers_added, again.markers_removed, again.markers_kept) == (0, 0, 1)
    assert b_item.GetMarkers() == markers, "a second run changes nothing"

    assert a.target.GetMarkers() == {}, "markers go on B only"
    with pytest.raises(PanelError, match="two different versions"):
        actions.start_compare(resolve, a, _version(resolve, "clip", "cut_v1.mp4"))
    assert resolve.unknown_calls == [] and resolve.upsells == []


def two_cut_timelines(pool, v1, v2, cut: dict) -> None:  # noqa: ANN001 - the fake's objects
    """Timeline "Cut v1" plays cut_v1 whole; "Cut v2" the same with cut_v2's inserted shot spliced in."""
    at, n = cut["at"], cut["inserted"]
    pool.CreateEmptyTimeline("Cut v1")
    pool.AppendToTimeline([{"mediaPoolItem": v1, "startFrame": 0, "endFrame": cut["v1_frames"]}])
    pool.CreateEmptyTimeline("Cut v2")
    pool.AppendToTimeline([{"mediaPoolItem": v1, "startFrame": 0, "endFrame": at},
                           {"mediaPoolItem": v2, "startFrame": at, "endFrame": at + n},
                           {"mediaPoolItem": v1, "startFrame": at, "endFrame": cut["v1_frames"]}])


def test_two_timelines_are_rendered_then_compared(served, cut, tmp_path) -> None:
    """Timeline A plays cut_v1 whole; timeline B the same with cut_v2's inserted shot spliced in.
    Their renders differ by that insert, marked on timeline B at its timeline frame."""
    _, client = served
    resolve, _, _ = _cut_project(cut)
    pool = resolve.media_pool
    v1, v2 = pool.GetRootFolder().GetClipList()
    two_cut_timelines(pool, v1, v2, cut)
    project = resolve.project
    first_timeline = project.GetTimelineByIndex(1)
    project.SetCurrentTimeline(first_timeline)
    a, b = _version(resolve, "timeline", "Cut v1"), _version(resolve, "timeline", "Cut v2")
    with pytest.raises(PanelError, match="choose a folder for the timeline renders"):
        actions.start_compare(resolve, a, b, "")

    renders = tmp_path / "renders"
    pending = actions.start_compare(resolve, a, b, str(renders))
    assert not pending.ready(resolve), "Resolve is still rendering at the first poll"
    assert pending.ready(resolve)
    assert sorted(p.name for p in renders.iterdir()) == ["binsight-compare-Cut v1.mp4", "binsight-compare-Cut v2.mp4"]
    assert project.GetRenderJobList() == [], "the render queue is left as it was"
    assert project.GetCurrentTimeline() is first_timeline, "the editor's timeline is current again"
    report = actions.finish_compare(client, pending)
    assert report.counts == (("inserted", 1),) and report.markers_added == 1
    (frame, marker), = b.target.GetMarkers().items()
    assert abs(frame - cut["at"]) <= 1 and marker["color"] == "Green" and marker["customData"] == "binsight-compare:0"
    assert a.target.GetMarkers() == {}

    again = actions.mark_differences(resolve, client, a, b, str(renders), poll_s=0.01)
    assert (again.markers_added, again.markers_removed, again.markers_kept) == (0, 0, 1)
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_a_failed_render_is_reported_and_cleaned_up(served, cut, tmp_path) -> None:
    _, client = served
    resolve, _, _ = _cut_project(cut)
    pool = resolve.media_pool
    v1, v2 = pool.GetRootFolder().GetClipList()
    for name, clip in (("One", v1), ("Two", v2)):
        pool.CreateEmptyTimeline(name)
        pool.AppendToTimeline([clip])
    project = resolve.project
    project.SetCurrentTimeline(project.GetTimelineByIndex(2))
    project.fail_renders = True
    with pytest.raises(PanelError, match="render of the timeline One ended failed: see the Deliver page"):
        actions.mark_differences(resolve, client, _version(resolve, "timeline", "One"),
                                 _version(resolve, "timeline", "Two"), str(tmp_path / "renders"), poll_s=0.01)
    assert project.GetRenderJobList() == [] and project.GetCurrentTimeline() is project.GetTimelineByIndex(2)
    assert all(t.GetMarkers() == {} for t in (project.GetTimelineByIndex(1), project.GetTimelineByIndex(2)))
    assert client.list_feedback() == [] and resolve.unknown_calls == []
