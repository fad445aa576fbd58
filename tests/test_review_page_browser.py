"""The review page in a real browser: Debian's Chromium, headless, driven by Playwright, against a
real server with real ingested clips; every change is checked through the SDK, after the page's
request has been answered.

One Chromium for the module (a fresh profile), a fresh server and page per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from media_factory import encode, pan, still, texture
from review_browser import chromium, chromium_path, drag, wait_ready
from review_project import encode_takes, ingest, review_page

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright", reason="playwright is in the test extra")
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> list[Path]:
    return encode_takes(tmp_path_factory.mktemp("browser_takes"))


@pytest.fixture
def site(served, takes, browser):
    """(SDK client, page url, a browser tab) over a freshly ingested project."""
    server, client = served
    ingest(server, takes)
    with review_page(server) as page:
        tab = browser.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield client, page.url, tab
        tab.close()
        assert errors == [], errors


def answered(tab, path: str):
    """Wait for the page's request to ``path`` to be answered (use as a context manager)."""
    return tab.expect_response(lambda r: r.url.split("?")[0].endswith(path) and r.request.method == "POST")


def open_view(tab, url: str) -> None:
    tab.goto(url)
    wait_ready(tab)


def tree_state(client) -> dict:
    tree = client.list_clusters()
    return {"bins": sorted((c.cluster_id, c.name, c.named, c.locked, tuple(sorted(s.shot_id for s in c.shots)))
                           for c in tree.clusters),
            "noise": sorted(s.shot_id for s in tree.noise.shots)}


def training_ids(client) -> set[str]:
    return {json.loads(line)["feedback_id"] for line in client.export_training_data().decode().splitlines()}


def test_drag_a_noise_shot_onto_a_bin_then_undo(site) -> None:
    client, url, tab = site
    shot = client.list_shots(cluster_id="noise")[0]
    target = shot.candidates[1].cluster_id
    open_view(tab, f"{url}scenes?bin=noise")
    with answered(tab, "/api/move") as response:
        drag(tab, tab.locator(f'#grid .shot[data-shot-id="{shot.shot_id}"] .info'),
             tab.locator(f'#bins .bin-drop[data-bin-id="{target}"]'))
    assert response.value.status == 200
    moved = {s.shot_id: s for s in client.list_shots()}[shot.shot_id]
    assert (moved.cluster_id, moved.pinned) == (target, True)  # the SDK sees the move
    (event,) = client.list_feedback()
    assert (event.action, event.subject_id, event.from_id, event.to_id) == ("move_shot", shot.shot_id, "", target)
    assert event.feedback_id in training_ids(client)  # the training export has its rows
    tab.wait_for_selector(f'#grid .shot[data-shot-id="{shot.shot_id}"]', state="detached")
    assert tab.locator(f'#bins .bin[data-bin-id="{target}"] .count').first.inner_text() == "5"

    with answered(tab, "/api/undo") as response:
        tab.keyboard.press("Control+z")
    assert response.value.status == 200
    back = {s.shot_id: s for s in client.list_shots()}[shot.shot_id]
    assert (back.cluster_id, back.pinned) == ("", False)
    assert client.list_feedback()[0].state == "undone"
    assert event.feedback_id not in training_ids(client)  # withdrawn
    tab.wait_for_selector(f'#grid .shot[data-shot-id="{shot.shot_id}"]')
    with answered(tab, "/api/redo"):
        tab.keyboard.press("Control+Shift+z")
    assert {s.shot_id: s.cluster_id for s in client.list_shots()}[shot.shot_id] == target


def test_drag_a_multi_selection_and_split_it_to_a_new_bin(site) -> None:
    client, url, tab = site
    source, target = client.list_clusters().clusters[:2]
    picked = [s.shot_id for s in source.shots[:2]]
    open_view(tab, f"{url}scenes?bin={source.cluster_id}")
    for shot_id in picked:
        tab.locator(f'.shot[data-shot-id="{shot_id}"] input[data-action=select]').check()
    with answered(tab, "/api/move"):
        drag(tab, tab.locator(f'.shot[data-shot-id="{picked[0]}"] .info'),
             tab.locator(f'#bins .bin-drop[data-bin-id="{target.cluster_id}"]'))
    where = {s.shot_id: s.cluster_id for s in client.list_shots()}
    assert [where[s] for s in picked] == [target.cluster_id] * 2
    with answered(tab, "/api/undo"):  # one Ctrl+Z takes the whole drop back
        tab.keyboard.press("Control+z")
    assert {s.shot_id: s.cluster_id for s in client.list_shots()}[picked[1]] == source.cluster_id
    assert [e.state for e in client.list_feedback()] == ["undone", "undone"]

    tab.wait_for_selector(f'.shot[data-shot-id="{picked[1]}"]')
    tab.locator(f'.shot[data-shot-id="{picked[1]}"] input[data-action=select]').check()
    tab.keyboard.press("n")
    tab.fill("#prompt-input", "Close-ups")
    with answered(tab, "/api/split"):
        tab.keyboard.press("Enter")
    new = [c for c in client.list_clusters().clusters if c.name == "Close-ups"]
    assert len(new) == 1 and [s.shot_id for s in new[0].shots] == [picked[1]]
    tab.wait_for_selector(f'#bins .bin[data-bin-id="{new[0].cluster_id}"]')


def test_merge_two_bins_with_a_preview_and_unmerge(site) -> None:
    client, url, tab = site
    first, second = client.list_clusters().clusters[:2]
    client.rename_cluster(second.cluster_id, "Garden")  # a named bin survives by default
    before = tree_state(client)
    open_view(tab, f"{url}scenes?bin={first.cluster_id}")
    drag(tab, tab.locator(f'#bin-list > li.bin[data-bin-id="{second.cluster_id}"] .grip'),
         tab.locator(f'#bins .bin-drop[data-bin-id="{first.cluster_id}"]'))
    dialog = tab.locator("#merge-dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator(".side").count() == 2
    assert dialog.locator("input[name=survivor]:checked").get_attribute("value") == second.cluster_id
    with answered(tab, "/api/merge"):
        dialog.locator("[data-action=confirm-merge]").click()
    merged = {c.cluster_id: c for c in client.list_clusters().clusters}
    assert first.cluster_id not in merged
    # both bins' shots, plus any noise shot the grown bin now takes (noise is re-scored after
    # every correction; the undo below puts such a shot back too)
    joined = {s.shot_id for s in merged[second.cluster_id].shots}
    assert joined >= {s.shot_id for s in (*first.shots, *second.shots)}
    assert joined - {s.shot_id for s in (*first.shots, *second.shots)} <= set(before["noise"])
    tab.wait_for_url(f"**/scenes?bin={second.cluster_id}")  # the bin shown was merged away: follow it
    wait_ready(tab)
    with answered(tab, "/api/undo"):
        tab.keyboard.press("Control+z")
    assert tree_state(client) == before  # ids, names and members identical


def test_rename_inline_and_lock(site) -> None:
    client, url, tab = site
    cluster = client.list_clusters().clusters[0]
    open_view(tab, f"{url}scenes?bin={cluster.cluster_id}")
    tab.keyboard.press("r")
    tab.keyboard.type("Kitchen, day")
    with answered(tab, "/api/rename"):
        tab.keyboard.press("Enter")
    assert client.get_cluster(cluster.cluster_id).name == "Kitchen, day"
    tab.wait_for_selector(f'#bins .bin[data-bin-id="{cluster.cluster_id}"] .name:text-is("Kitchen, day")')
    with answered(tab, "/api/lock"):
        tab.keyboard.press("l")
    assert client.get_cluster(cluster.cluster_id).locked is True
    events = client.list_feedback()
    assert [(e.action, e.to_id) for e in events] == [("rename_cluster", "Kitchen, day"), ("lock_cluster", "true")]


def test_keyboard_review_of_five_shots(site) -> None:
    client, url, tab = site
    queue = [item.shot for item in client.review_queue(limit=20)]
    open_view(tab, f"{url}review")
    def at(n: int) -> None:  # the queue shows shot n (after the page has handled the answer)
        tab.wait_for_selector(f'.review-item.current .shot[data-shot-id="{queue[n].shot_id}"]', timeout=10_000)
        assert tab.locator("#review-pos").inner_text().startswith(f"{n + 1} /")

    at(0)
    with answered(tab, "/api/move"):  # 1: accept the first noise shot's best suggestion
        tab.keyboard.press("1")
    at(1)
    with answered(tab, "/api/reject"):  # x: the second noise shot is not its first suggestion
        tab.keyboard.press("x")
    at(2)
    tab.keyboard.press("j")  # j: the third looks right where it is; keep it and go on (no correction)
    at(3)
    with answered(tab, "/api/move"):  # 2: the fourth belongs to its second suggestion
        tab.keyboard.press("2")
    at(4)
    goal = next(c for c in client.list_clusters().clusters if c.cluster_id != queue[4].cluster_id)
    tab.keyboard.press("m")  # m: the fifth moves through the picker, filtered by typing
    tab.locator("#picker-list li").first.wait_for()
    tab.keyboard.type(goal.name)
    assert tab.locator("#picker-list li:not([hidden])").first.get_attribute("data-bin-id") == goal.cluster_id
    with answered(tab, "/api/move"):
        tab.keyboard.press("Enter")
    at(5)
    events = client.list_feedback()
    assert [(e.action, e.subject_id, e.to_id or e.from_id) for e in events] == [
        ("move_shot", queue[0].shot_id, queue[0].candidates[0].cluster_id),
        ("reject_shot", queue[1].shot_id, queue[1].candidates[0].cluster_id),
        ("move_shot", queue[3].shot_id, queue[3].candidates[1].cluster_id),
        ("move_shot", queue[4].shot_id, goal.cluster_id)]


def test_accept_a_suggestion_with_one_click_and_play_the_shot(site) -> None:
    client, url, tab = site
    shot = client.list_shots(cluster_id="noise")[0]
    open_view(tab, f"{url}noise")
    card = tab.locator(f'.shot[data-shot-id="{shot.shot_id}"]')
    with answered(tab, "/api/move"):
        card.locator('button[data-action=accept][data-key="3"]').click()
    assert {s.shot_id: s.cluster_id for s in client.list_shots()}[shot.shot_id] == shot.candidates[2].cluster_id

    other = client.list_shots(cluster_id="noise")[0]
    with tab.expect_response(lambda r: "/source" in r.url) as source:
        tab.locator(f'.shot[data-shot-id="{other.shot_id}"] .thumb').click()
    assert source.value.status == 206  # served with a range request
    tab.wait_for_function("() => document.querySelector('#player-video').currentTime > 0")
    start = tab.evaluate("() => document.querySelector('#player-video').currentTime")
    assert start >= other.start_s - 0.05
    tab.keyboard.press("Escape")


def test_a_prores_shot_plays_through_its_proxy(served, browser, tmp_path: Path) -> None:
    server, client = served
    ingest(server, [encode(tmp_path / "prores.mov", [*still(texture(5, 320, 180), 15), *pan(6, 20, 2, 320, 180)],
                           codec="prores_ks", pix_fmt="yuv422p10le")])
    shot = client.list_shots()[0]
    with review_page(server) as page:
        tab = browser.new_page()
        open_view(tab, f"{page.url}scenes?bin=noise" if shot.cluster_id == "" else
                  f"{page.url}scenes?bin={shot.cluster_id}")
        with tab.expect_response(lambda r: r.url.endswith("/proxy.mp4")) as proxy:
            tab.locator(f'.shot[data-shot-id="{shot.shot_id}"] .thumb').click()
        assert proxy.value.status == 200
        tab.wait_for_function("() => document.querySelector('#player-video').currentTime > 0")
        assert "H.264 copy" in tab.locator("#player-note").inner_text()
        tab.close()


def test_live_ingest_progress(site, tmp_path: Path) -> None:
    client, url, tab = site
    folder = tmp_path / "day3"
    folder.mkdir()
    encode(folder / "long.mp4", [*pan(90, 300, 1), *still(texture(91), 300), *pan(92, 300, 1)])  # 36 s at 25 fps
    open_view(tab, f"{url}media")
    tab.fill("#ingest-path", "relative/path")
    with answered(tab, "/api/ingest"):
        tab.locator("[data-action=ingest]").click()
    assert "full path" in tab.locator("#ingest-error").inner_text()
    tab.fill("#ingest-path", str(folder))
    with answered(tab, "/api/ingest") as response:
        tab.locator("[data-action=ingest]").click()
    job_id = response.value.json()["job_id"]
    row = f'tr.job[data-job-id="{job_id}"]'
    # mid-job: the row is running, frames are counted and the bar is partly filled
    tab.wait_for_function(f"""() => {{ const r = document.querySelector('{row}');
        return r && r.dataset.state === 'running' && Number(r.dataset.framesDone) > 0
               && r.querySelector('progress').value > 0 && r.querySelector('progress').value < 1; }}""")
    tab.wait_for_selector(f'{row}[data-state="succeeded"]', timeout=120_000)
    tab.wait_for_selector('tr[data-media-id] td[title$="long.mp4"]', timeout=30_000)  # the page reloads its files
    assert any(m.path.endswith("long.mp4") for m in client.list_media())


def test_an_exported_download_parses(site) -> None:
    client, url, tab = site
    tree = client.list_clusters()
    chosen = tree.clusters[1]
    open_view(tab, f"{url}scenes")
    tab.locator(f'#bins input[data-action=choose][data-bin-id="{chosen.cluster_id}"]').check()
    tab.locator("[data-action=export]").click()
    tab.select_option("#export-format", "fcpxml")
    tab.locator("#export-noise").uncheck()
    with tab.expect_download() as download:
        tab.locator("[data-action=export-go]").click()
    document = etree.parse(download.value.path())
    events = document.findall(".//event")
    assert [e.get("name") for e in events] == [chosen.name]
    starts = sorted(e.get("start") for e in events[0].findall("asset-clip"))
    assert len(starts) == chosen.shot_count == 4
    assert download.value.suggested_filename.endswith(".fcpxml")


def test_hover_scrubs_keyframes_and_keys_step_and_play(site) -> None:
    client, url, tab = site
    shot = next(s for s in client.list_shots() if len(s.keyframes) == 3 and s.cluster_id)
    open_view(tab, f"{url}scenes?bin={shot.cluster_id}")
    thumb = tab.locator(f'.shot[data-shot-id="{shot.shot_id}"] .thumb')
    box = thumb.bounding_box()
    seen = []
    for fraction in (0.1, 0.5, 0.9):
        tab.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        seen.append(thumb.locator("img").get_attribute("src"))
    assert seen == [f"/keyframes/{k.keyframe_id}.jpg" for k in shot.keyframes]
    cards = tab.locator("#grid .shot")
    ids = cards.evaluate_all("els => els.map(e => e.dataset.shotId)")
    assert tab.locator("#grid .shot.current").get_attribute("data-shot-id") == ids[0]
    tab.keyboard.press("j")
    tab.keyboard.press("j")
    tab.keyboard.press("k")
    assert tab.locator("#grid .shot.current").get_attribute("data-shot-id") == ids[1]
    with tab.expect_response(lambda r: "/play" in r.url) as how:
        tab.keyboard.press(" ")
    assert how.value.json()["src"].endswith("/source")
    tab.wait_for_function("() => document.querySelector('#player-video').currentTime > 0")
    tab.keyboard.press("Escape")
    assert not tab.locator("#player").is_visible()
