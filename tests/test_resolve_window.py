"""The Binsight window as an editor meets it: the installed menu script is executed the way
Resolve runs it (``resolve``, ``fusion``, ``bmd`` as globals) against the fake Resolve and its
fake UIManager, with a real server on loopback; the test drives the window while ``RunLoop``
runs, clicking buttons and letting the poll timer tick."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sys
import webbrowser
from pathlib import Path

import opentimelineio as otio
import pytest

from binsight_panels.resolve import actions
from binsight_panels.resolve.environment import EnvRecord, Interpreter
from binsight_panels.resolve.install import Layout, current_record, install, render_script
from resolve_fake import UIHarness, make_resolve, script_globals
from test_resolve_actions import editor_project, footage  # noqa: F401  (the module fixture)
from test_resolve_search_compare import cut, two_cut_timelines  # noqa: F401  (cut: the module fixture)


def run_script(script: Path, resolve, fusion, bmd) -> None:
    exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), script_globals(resolve, fusion, bmd, script))


@pytest.fixture
def menu_script(tmp_path: Path) -> Path:
    """Binsight.py as the installer puts it in a Linux user's Scripts/Utility folder."""
    return install(Layout("linux", tmp_path / "home"), "user", current_record())


@pytest.fixture
def panel_env(monkeypatch, tmp_path: Path):
    """Where the panel keeps its state, and a stand-in browser that writes down what it opens."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text("import sys\nopen(sys.argv[1], 'a').write(sys.argv[2] + '\\n')\n")
    monkeypatch.setenv("BROWSER", f"{sys.executable} {browser} {opened} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # webbrowser reads BROWSER once, then caches it
    monkeypatch.setattr(webbrowser, "_browsers", {})
    monkeypatch.setenv("BINSIGHT_RESOLVE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BINSIGHT_REVIEW_URL", "http://127.0.0.1:8765/")
    return tmp_path / "state", opened


def ok(h: UIHarness) -> str:
    status = h.find("Status").Text
    assert not status.startswith("Error"), status
    return status


def test_an_editor_ingests_reviews_bins_cuts_and_exports(served, footage, menu_script, panel_env, monkeypatch,  # noqa: F811
                                                         tmp_path) -> None:
    server, client = served
    state_dir, opened = panel_env
    monkeypatch.setenv("BINSIGHT_ADDRESS", server.address)
    resolve, fusion, bmd = editor_project(footage)
    out = tmp_path / "exports"

    def drive(h: UIHarness) -> None:
        assert ok(h) == f"connected to {server.address}"
        assert "faces: off" in h.find("ServerInfo").Text
        assert h.find("Tabs").tabs == ["Connect", "Ingest", "Review", "Create bins", "Timelines", "Search", "Compare",
                                       "Export"]

        h.tab("Ingest")
        assert h.find("Pages").CurrentIndex == 1
        h.choose("IngestScope", "the whole Media Pool")
        h.click("IngestStart")
        assert not h.find("IngestStart").Enabled and h.find("IngestCancel").Enabled
        h.tick_until(lambda: h.find("IngestProgress").Text.startswith("succeeded"))
        log = h.find("IngestLog").Text.splitlines()
        assert log[0] == "2 footage clips in the whole Media Pool: 2 sent, 0 already ingested"
        assert "ingested: a.mp4, 3 shots" in log and "ingested: b.mp4, 4 shots" in log
        assert log[-1].startswith("reclustered: 3 bins, 1 shots in noise")
        assert ok(h) == "ingest succeeded" and h.find("IngestStart").Enabled

        h.tab("Review")
        tree = client.list_clusters()
        (noise_shot,) = tree.noise.shots
        best = noise_shot.candidates[0]
        rows = h.rows("ReviewTree")
        assert ["Noise", "1", "", "", str(len(rows) - 2)] == rows[-2]
        assert rows[-1][:3] == ["a.mp4 #3", "", "01:00:01:15-01:00:02:10"]
        assert rows[-1][3].startswith(f"{best.name or best.cluster_id} {best.score:.2f}, ")
        h.select("ReviewTree", lambda item: item.Text[0] == "a.mp4 #3")
        target = h.find("ReviewTarget")
        assert target.CurrentText == f"{best.name or best.cluster_id} (suggested, {best.score:.2f})"
        h.click("ReviewMove")
        ok(h)
        (event,) = client.list_feedback()
        assert (event.action, event.subject_id, event.from_id, event.to_id) == \
            ("move_shot", noise_shot.shot_id, "", best.cluster_id)
        assert event.actor.endswith("(Resolve)")
        after = client.list_clusters()
        assert after.noise.shot_count == 0
        assert noise_shot.shot_id in [s.shot_id for c in after.clusters if c.cluster_id == best.cluster_id
                                      for s in c.shots]
        assert [r[0] for r in h.rows("ReviewTree")].count("a.mp4 #3") == 1
        h.click("ReviewOpen")
        assert opened.read_text() == "http://127.0.0.1:8765/\n"

        h.tab("Create bins")
        h.choose("BinsMode", "Move clips into one folder per bin")
        h.click("BinsCreate")
        assert ok(h) == "bins written into the Media Pool"
        assert h.find("BinsLog").Text.startswith("move clips into one folder per bin: 4 folders created, 2 clips moved")
        h.click("BinsCreate")
        assert ok(h) == "bins are up to date"

        h.tab("Timelines")
        h.select("TimelineBins", lambda item: item.Text[0] == (best.name or best.cluster_id))
        h.click("TimelinesMake")
        assert ok(h) == "1 timeline(s) made"
        timeline = resolve.project.GetTimelineByIndex(1)
        shots = [c for c in after.clusters if c.cluster_id == best.cluster_id][0].shots
        assert [(i.GetSourceStartFrame(), i.GetDuration()) for i in timeline.GetItemListInTrack("video", 1)] == \
            [(s.start_frame, s.end_frame - s.start_frame) for s in shots]

        h.tab("Export")
        h.choose("ExportFormat", "otio")
        h.set_text("ExportFolder", str(out))
        h.click("ExportStart")
        assert ok(h) == "exported otio"
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    (window,) = fusion.ui.windows
    assert window.props["Closed"] and not fusion.ui.timers[0].IsActive
    (otio_file,) = out.iterdir()
    assert len(list(otio.adapters.read_from_file(str(otio_file)).find_clips())) == 7
    assert (state_dir / f"project-{resolve.project.GetUniqueId()}.json").is_file()
    assert resolve.unknown_calls == [] and resolve.upsells == []


@pytest.mark.parametrize("version", [(19, 0, 3), (19, 1, 0), (21, 0, 4)])
def test_free_edition_gets_one_plain_message_and_no_dialog(footage, menu_script, panel_env, capsys,  # noqa: F811
                                                           version) -> None:
    resolve, fusion, bmd = editor_project(footage, studio=False, version=version)
    fusion.ui.driver = lambda h: pytest.fail("no window may open on the free edition")
    run_script(menu_script, resolve, fusion, bmd)
    printed = capsys.readouterr().out
    assert printed.startswith("Binsight: the Resolve panels need DaVinci Resolve Studio; this is DaVinci Resolve "
                              f"{'.'.join(map(str, version))}.")
    assert "http://127.0.0.1:8765/" in printed and "File > Import > Timeline" in printed
    assert resolve.upsells == [], "nothing that raises the upsell dialog (not even fusion.UIManager)"
    assert fusion.ui.windows == [] and resolve.unknown_calls == []


def test_a_python_resolve_cannot_use_gets_the_fix(footage, tmp_path, panel_env, capsys) -> None:  # noqa: F811
    record = current_record()
    other = dataclasses.replace(record.interpreter, version=(3, 9, 18))
    script = tmp_path / "Binsight.py"
    script.write_text(render_script(EnvRecord(record.python, other, record.package_roots, record.site_dirs,
                                              record.binsight)))
    resolve, fusion, bmd = editor_project(footage)
    shown = {}

    def drive(h: UIHarness) -> None:
        shown["text"] = h.find("MessageText").Text
        h.click("MessageOK")

    fusion.ui.driver = drive
    run_script(script, resolve, fusion, bmd)
    running = Interpreter.running()
    assert shown["text"].startswith(f"Binsight: Resolve runs scripts with {running.label}, but the Binsight "
                                    f"environment ({record.python}) is cpython 3.9.18")
    assert "Its compiled gRPC only loads in a matching Python.\n" in shown["text"], "Resolve's 3.11 is recent enough"
    assert "rebuild the Binsight environment with Resolve's Python" in shown["text"]
    assert [w.ID for w in fusion.ui.windows] == ["BinsightMessage"], "the panel itself never opened"
    assert capsys.readouterr().out.startswith("Binsight: Resolve runs scripts with")


def test_starting_it_again_raises_the_open_window(footage, menu_script, panel_env, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("BINSIGHT_ADDRESS", f"127.0.0.1:{_free_port()}")
    resolve, fusion, bmd = editor_project(footage)

    def drive(h: UIHarness) -> None:
        fusion.ui.driver = None
        run_script(menu_script, resolve, fusion, bmd)  # the editor picks Binsight from the menu again
        assert len(fusion.ui.windows) == 1 and h.window.props["Raised"] == 1
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    assert len(fusion.ui.windows) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_tab_starts_a_local_server(footage, menu_script, panel_env, monkeypatch, tmp_path) -> None:  # noqa: F811
    state_dir, _ = panel_env
    address = f"127.0.0.1:{_free_port()}"
    monkeypatch.setenv("BINSIGHT_ADDRESS", address)
    monkeypatch.setenv("BINSIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BINSIGHT_FACES__ENABLED", "false")
    monkeypatch.setenv("BINSIGHT_HTTP_ADDRESS", "127.0.0.1:0")  # 8765 may be taken on a shared machine
    resolve, fusion, bmd = make_resolve()

    def drive(h: UIHarness) -> None:
        assert h.find("Status").Text == f"no server at {address}"
        assert h.find("StartServer").Enabled
        h.click("StartServer")
        assert not h.find("StartServer").Enabled
        h.tick_until(lambda: h.find("Status").Text == f"connected to {address}", timeout_s=90)
        assert h.find("ServerInfo").Text.startswith("Binsight ") and "faces: off" in h.find("ServerInfo").Text
        assert "review page: http://127.0.0.1:" in h.find("ServerInfo").Text, "the started server's own page"
        h.close()

    fusion.ui.driver = drive
    try:
        run_script(menu_script, resolve, fusion, bmd)
    finally:
        pid_file = state_dir / "server.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    assert (state_dir / "server.log").is_file()


def test_review_tab_corrections_reach_the_server(served, footage, menu_script, panel_env, monkeypatch) -> None:  # noqa: F811
    server, client = served
    monkeypatch.setenv("BINSIGHT_ADDRESS", server.address)
    resolve, fusion, bmd = editor_project(footage)
    actions.wait_for_job(client, actions.ingest(resolve, client, "pool").job_id)
    client.recluster()
    first, second, third = [c.cluster_id for c in client.list_clusters().clusters]
    name = {c.cluster_id: c.name for c in client.list_clusters().clusters}  # the tree shows bin names

    def drive(h: UIHarness) -> None:
        h.tab("Review")
        h.click("ReviewMove")
        assert h.find("Status").Text == "Error: select one or more shots in the tree first"
        assert client.list_feedback() == [], "a refused click sends nothing"

        h.select("ReviewTree", lambda item: item.Text[0] == name[first])
        h.set_text("ReviewName", "Kitchen")
        h.click("ReviewRename")
        h.select("ReviewTree", lambda item: item.Text[0] == "Kitchen")
        h.click("ReviewLock")
        assert ok(h) == "lock changed" and "Kitchen (locked)" in [r[0] for r in h.rows("ReviewTree")]

        shots = [s for c in client.list_clusters().clusters if c.cluster_id == second for s in c.shots]
        victim = f"{Path(shots[0].media_path).name} #{shots[0].index + 1}"
        h.select("ReviewTree", lambda item: item.Text[0] == victim and item.Parent().Text[0] == name[second])
        h.click("ReviewReject")
        assert ok(h) == "1 shot(s) will not go back to their bin"

        keep = [s for c in client.list_clusters().clusters if c.cluster_id == third for s in c.shots][0]
        label = f"{Path(keep.media_path).name} #{keep.index + 1}"
        h.select("ReviewTree", lambda item: item.Text[0] == label and item.Parent().Text[0] == name[third])
        h.set_text("ReviewName", "Office wide")
        h.click("ReviewSplit")
        assert ok(h).startswith("split 1 shot(s) into a new bin Office wide")

        h.select("ReviewTree", lambda item: item.Text[0] in (name[second], "Office wide") and item.Parent() is None)
        h.click("ReviewMerge")
        ok(h)
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    events = client.list_feedback()
    assert [e.action for e in events] == ["rename_cluster", "lock_cluster", "reject_shot", "split_cluster",
                                          "merge_clusters"]
    assert events[0].subject_id == first and events[1].subject_id == first and events[2].from_id == second
    names = {c.name for c in client.list_clusters().clusters}
    assert "Kitchen" in names and "Office wide" not in names, "the split-off bin was merged into the other"
    assert all(e.actor.endswith("(Resolve)") for e in events)


def test_studio_older_than_18_is_told_why(footage, menu_script, panel_env, capsys) -> None:  # noqa: F811
    resolve, fusion, bmd = editor_project(footage, version=(17, 4, 6))
    shown = {}

    def drive(h: UIHarness) -> None:
        shown["text"] = h.find("MessageText").Text
        h.click("MessageOK")

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    assert shown["text"].startswith("Binsight: the Resolve panels need Resolve Studio 18.0.0 or later")
    assert [w.ID for w in fusion.ui.windows] == ["BinsightMessage"] and resolve.unknown_calls == []


def test_search_undo_and_the_review_page_in_the_window(start_server, footage, menu_script, panel_env,  # noqa: F811
                                                       monkeypatch) -> None:
    """A server with its review page on: the Connect tab shows where, Open in review page opens
    it; a search by the selected clip becomes a bin (then undone and redone from Review) and a
    timeline; words are refused with the reason, since this server has no CLIP pack."""
    server, client = start_server(**{"faces.enabled": False, "http_address": "127.0.0.1:0"})
    _, opened = panel_env
    monkeypatch.setenv("BINSIGHT_ADDRESS", server.address)
    resolve, fusion, bmd = editor_project(footage)
    actions.wait_for_job(client, actions.ingest(resolve, client, "pool").job_id)
    client.recluster()
    pool = resolve.media_pool
    pool.SetSelectedClip(pool.GetRootFolder().sub("Day 1").GetClipList()[0])
    page_url = server.page.url
    assert page_url.startswith("http://127.0.0.1:") and not page_url.startswith("http://127.0.0.1:8765")

    def drive(h: UIHarness) -> None:
        info = h.find("ServerInfo").Text.splitlines()
        assert "text search: off (needs a CLIP pack)" in info and f"review page: {page_url}" in info

        h.tab("Search")
        assert not h.find("SearchWords").Enabled and not h.find("SearchText").Enabled
        assert h.find("SearchModel").Text.startswith("text search needs a CLIP pack; the server's scene model is pixels")
        assert not h.find("SearchBin").Enabled, "nothing to make a bin of before a search"
        h.click("SearchLike")
        assert ok(h) == "4 shots found"
        assert h.find("SearchLog").Text.splitlines()[0] == "like a.mp4: 4 shots (3 of the example clip's own left out)"
        assert h.find("SearchName").Text == "like a.mp4"
        h.set_text("SearchName", "Like a")
        h.click("SearchBin")
        assert ok(h) == "made the bin Like a of 4 shots (Undo in Review)"
        assert "Like a" in [r[0] for r in h.rows("ReviewTree")]

        h.tab("Review")
        h.click("ReviewUndo")
        assert ok(h).startswith("undid create_bin ")
        assert "Like a" not in [r[0] for r in h.rows("ReviewTree")]
        assert "Like a" not in {c.name for c in client.list_clusters().clusters}
        h.click("ReviewRedo")
        assert ok(h).startswith("redid create_bin ")
        assert "Like a" in [r[0] for r in h.rows("ReviewTree")]
        h.click("ReviewOpen")
        assert opened.read_text() == f"{page_url}\n"

        h.tab("Search")
        h.click("SearchTimeline")
        assert ok(h) == "made the timeline Like a"
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    assert [e.action for e in client.list_feedback()] == ["create_bin"]
    assert [e.state for e in client.list_feedback()] == ["applied"]
    timeline = resolve.project.GetTimelineByIndex(1)
    assert timeline.GetName() == "Like a" and len(timeline.GetItemListInTrack("video", 1)) == 4
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_compare_two_timelines_then_two_clips_in_the_window(served, cut, menu_script, panel_env, monkeypatch,  # noqa: F811
                                                            tmp_path) -> None:
    """The renders are polled from the window's timer; the markers land on B."""
    server, client = served
    monkeypatch.setenv("BINSIGHT_ADDRESS", server.address)
    resolve, fusion, bmd = make_resolve()
    pool = resolve.media_pool
    v1, v2 = pool.ImportMedia([str(cut["v1"]), str(cut["v2"])])
    two_cut_timelines(pool, v1, v2, cut)
    at = cut["at"]
    renders = tmp_path / "renders"

    def drive(h: UIHarness) -> None:
        pool.CreateEmptyTimeline("Made while the window is open")
        h.tab("Compare")
        assert h.find("CompareA").items == ["clip: cut_v1.mp4", "clip: cut_v2.mp4", "timeline: Cut v1",
                                            "timeline: Cut v2", "timeline: Made while the window is open"]
        h.choose("CompareA", "timeline: Cut v1")
        h.choose("CompareB", "clip: cut_v2.mp4")
        h.click("CompareStart")
        assert h.find("Status").Text == "Error: compare two clips or two timelines"
        h.choose("CompareB", "timeline: Cut v2")
        h.set_text("CompareFolder", str(renders))
        h.click("CompareStart")
        assert not h.find("CompareStart").Enabled and h.find("CompareLog").Text == "rendering Cut v1 and Cut v2 ..."
        h.tick_until(lambda: h.find("CompareStart").Enabled)
        assert ok(h) == "1 difference(s) marked on Cut v2"
        assert h.find("CompareLog").Text.splitlines()[:2] == [
            "Cut v1 -> Cut v2: 1 inserted; 5 shots unchanged", "markers on Cut v2: 1 added, 0 removed, 0 already there"]

        h.choose("CompareA", "clip: cut_v1.mp4")
        h.choose("CompareB", "clip: cut_v2.mp4")
        h.click("CompareStart")
        h.tick_until(lambda: h.find("CompareStart").Enabled)
        assert ok(h) == "1 difference(s) marked on cut_v2.mp4"
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    timeline = resolve.project.GetTimelineByIndex(2)
    ((frame, marker),) = timeline.GetMarkers().items()
    assert abs(frame - at) <= 1 and marker["color"] == "Green"
    ((frame, marker),) = v2.GetMarkers().items()
    assert abs(frame - at) <= 1 and marker["name"] == "Inserted"
    assert resolve.project.GetRenderJobList() == [] and sorted(p.name for p in renders.iterdir()) == [
        "binsight-compare-Cut v1.mp4", "binsight-compare-Cut v2.mp4"]
    assert resolve.unknown_calls == [] and resolve.upsells == []


def test_people_bins_in_the_review_tree(start_server, menu_script, panel_env, monkeypatch, tmp_path) -> None:
    """Faces on, a clip of two people's photos: their people bins show in Review (and as bins to
    cut or export); a person is renamed from there; "not this one" on a people bin's shot is
    refused with where to correct faces instead."""
    import face_footage as ff

    if not ff.FACES.is_dir():
        pytest.skip(f"{ff.FACES} is absent: the shared face photos are needed")
    singles = [s for s in ff.photos() if len(s.people) == 1]
    two = sorted({s.people[0] for s in singles})[:2]
    clip = ff.people_clip(tmp_path, 90, shots=[s for s in singles if s.people[0] in two])
    server, client = start_server()
    monkeypatch.setenv("BINSIGHT_ADDRESS", server.address)
    resolve, fusion, bmd = make_resolve()
    resolve.media_pool.ImportMedia([str(clip.path)])
    actions.wait_for_job(client, actions.ingest(resolve, client, "pool").job_id)
    client.recluster()
    people = client.list_clusters().people
    assert len(people) == 2, [(p.name, p.shot_count) for p in people]
    first = people[0]

    def drive(h: UIHarness) -> None:
        h.tab("Review")
        rows = h.rows("ReviewTree")
        labels = [r[0] for r in rows]
        noise = labels.index("Noise") if "Noise" in labels else len(labels)
        for person in people:  # after the scene bins, before the noise bucket, each with its shots
            at = labels.index(person.name or person.cluster_id)
            assert rows[at][1] == str(person.shot_count) and at < noise
            assert labels[at + 1:at + 1 + person.shot_count] == \
                [f"{Path(s.media_path).name} #{s.index + 1}" for s in person.shots]
        label = first.name or first.cluster_id
        h.select("ReviewTree", lambda item: item.Text[0] == label and item.Parent() is None)
        h.set_text("ReviewName", "Ana")
        h.click("ReviewRename")
        assert ok(h) == f"renamed {label} to Ana"
        h.select("ReviewTree", lambda item: item.Parent() is not None and item.Parent().Text[0] == "Ana")
        h.click("ReviewReject")
        assert h.find("Status").Text.startswith("Error: a people bin holds whoever the faces say")
        h.tab("Timelines")
        h.select("TimelineBins", lambda item: item.Text[0] == "Ana (person)")
        h.click("TimelinesMake")
        assert ok(h) == "1 timeline(s) made"
        items = resolve.project.GetTimelineByIndex(1).GetItemListInTrack("video", 1)
        assert [(i.GetSourceStartFrame(), i.GetDuration()) for i in items] == \
            [(s.start_frame, s.end_frame - s.start_frame) for s in first.shots]
        h.close()

    fusion.ui.driver = drive
    run_script(menu_script, resolve, fusion, bmd)
    (event,) = client.list_feedback()
    assert (event.action, event.subject_id) == ("rename_character", first.cluster_id)
    assert first.cluster_id in {p.cluster_id for p in client.list_clusters().people if p.name == "Ana"}
