"""The review page's handlers without a browser: httpx against the page served by uvicorn over a
real server's Project (real clips, real LanceDB), checked through the SDK.

What the browser tests drive by hand, these check at the door: the gate (Host, Origin, token),
errors as statuses with the core's sentence, paging, the play and proxy answers, range requests,
the live streams and the download."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import av
import httpx
import pytest
from lxml import etree

from binsight.web import Gate, ReviewPage
from binsight.web.proxy import plays_in_browser
from media_factory import encode, pan, still, texture
from review_project import encode_takes, ingest, review_page


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> list[Path]:
    return encode_takes(tmp_path_factory.mktemp("review_takes"))


@pytest.fixture
def site(served, takes):
    """(server, SDK client, page, httpx client that writes like the page does)."""
    server, client = served
    ingest(server, takes)
    with review_page(server) as page:
        with httpx.Client(base_url=page.url, timeout=60,
                          headers={"X-Binsight-Token": page.gate.token, "X-Binsight-Actor": "alice"}) as http:
            yield server, client, page, http


def test_the_page_starts_answers_and_stops(served) -> None:
    server, _ = served
    page = ReviewPage(server.project, "127.0.0.1:0", Gate()).start()
    assert page.url == f"http://127.0.0.1:{page.port}/" and page.port > 0
    assert httpx.get(page.url + "healthz").json()["ok"] is True
    with pytest.raises(OSError, match="could not bind"):
        ReviewPage(server.project, f"127.0.0.1:{page.port}", Gate()).start()
    opened = threading.Event()

    def watch() -> None:  # a tab left open on the live stream
        with httpx.stream("GET", page.url + "events", timeout=30) as stream:
            for _ in stream.iter_lines():
                opened.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert opened.wait(10)
    started = time.monotonic()
    page.stop()
    assert time.monotonic() - started < 4  # the open stream ends with the page, stop never waits on it
    watcher.join(5)
    assert not watcher.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(page.url + "healthz", timeout=2)


def test_the_gate_refuses_other_sites_and_stale_tokens(site) -> None:
    server, client, page, http = site
    shot = client.list_shots(cluster_id="noise")[0].shot_id
    target = client.list_clusters().clusters[0].cluster_id
    move = {"shot_ids": [shot], "to": target}
    refused = [
        http.post("/api/move", json=move, headers={"X-Binsight-Token": ""}),  # no token
        http.post("/api/move", json=move, headers={"X-Binsight-Token": "stale"}),  # an earlier launch's token
        http.post("/api/move", json=move, headers={"Origin": "https://evil.example"}),  # another site
        http.post("/api/move", json=move, headers={"Sec-Fetch-Site": "cross-site"}),
        http.post("/api/move", json=move, headers={"Host": f"rebound.example:{page.port}"}),  # DNS rebinding
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert "token" in refused[0].json()["error"] and "reload the page" in refused[1].json()["error"]
    assert "evil.example" in refused[2].json()["error"]
    assert http.get("/scenes", headers={"Host": "rebound.example"}).status_code == 403  # reads too
    assert client.list_feedback() == []  # nothing changed
    ok = http.post("/api/move", json=move, headers={"Origin": page.url.rstrip("/")})
    assert ok.status_code == 200, ok.text
    assert http.get("/scenes", headers={"Host": f"localhost:{page.port}"}).status_code == 200


def test_a_move_is_one_logged_correction_with_training_rows(site) -> None:
    _, client, _, http = site
    noise = [s.shot_id for s in client.list_shots(cluster_id="noise")]
    target = client.list_clusters().clusters[1].cluster_id
    answer = http.post("/api/move", json={"shot_ids": noise, "to": target}).json()
    assert noise, "the fixture footage leaves shots in the noise bucket"
    plural = "shot" if len(noise) == 1 else "shots"
    assert answer["message"] == f"Moved {len(noise)} {plural} to {client.get_cluster(target).name}"
    events = client.list_feedback()
    assert [(e.action, e.subject_id, e.to_id, e.actor) for e in events] == [
        ("move_shot", s, target, "alice") for s in noise]
    assert answer["feedback_ids"] == [e.feedback_id for e in events]
    rows = {json.loads(line)["feedback_id"] for line in client.export_training_data().decode().splitlines()}
    assert set(answer["feedback_ids"]) <= rows
    # the page's undo takes the whole drop back, newest first, and withdraws its rows
    undone = http.post("/api/undo", json={"feedback_ids": answer["feedback_ids"]}).json()
    assert undone["feedback_ids"] == list(reversed(answer["feedback_ids"]))
    assert sorted(s.shot_id for s in client.list_shots(cluster_id="noise")) == sorted(noise)
    assert not client.export_training_data().strip()
    redone = http.post("/api/redo", json={"feedback_ids": answer["feedback_ids"]}).json()
    assert redone["message"].startswith("Redid") and redone["feedback_ids"] == answer["feedback_ids"]
    assert client.list_shots(cluster_id="noise") == []


def test_core_errors_become_statuses_with_their_sentence(site) -> None:
    _, client, _, http = site
    first, second = client.list_clusters().clusters[:2]
    assert http.post("/api/lock", json={"cluster_id": first.cluster_id, "locked": True}).status_code == 200
    locked = http.post("/api/move", json={"shot_ids": [first.shots[0].shot_id], "to": second.cluster_id})
    assert locked.status_code == 409 and "locked" in locked.json()["error"]
    assert http.post("/api/move", json={"shot_ids": ["nope"], "to": second.cluster_id}).status_code == 404
    assert http.post("/api/merge", json={"cluster_ids": [first.cluster_id]}).status_code == 400
    bad = http.post("/api/move", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "not JSON" in bad.json()["error"]
    assert http.post("/api/rename", json={"cluster_id": second.cluster_id, "name": 5}).status_code == 400
    page = http.get("/scenes?bin=scene-99999")
    assert page.status_code == 404 and "scene-99999" in page.text and "<main" in page.text
    assert http.get("/fragments/shots?bin=noise&offset=x").status_code == 400
    with_nothing_done = client.list_feedback()
    assert [e.action for e in with_nothing_done] == ["lock_cluster"]
    refused_undo = httpx.post(http.base_url.join("/api/undo"), json={},
                              headers={"X-Binsight-Token": http.headers["X-Binsight-Token"], "X-Binsight-Actor": "bob"})
    assert refused_undo.status_code == 409 and refused_undo.json()["error"] == "bob has no correction to undo"


def test_views_carry_the_stable_attributes(site) -> None:
    _, client, _, http = site
    tree = client.list_clusters()
    scenes = http.get(f"/scenes?bin={tree.clusters[0].cluster_id}").text
    for cluster in tree.clusters:
        assert f'data-bin-id="{cluster.cluster_id}"' in scenes
    assert 'data-bin-id="noise"' in scenes
    for shot in tree.clusters[0].shots:
        assert f'data-shot-id="{shot.shot_id}"' in scenes
        assert f"{shot.source_in}–{shot.source_out}" in scenes  # timecodes on every shot
    for action in ("undo", "redo", "export", "rename", "lock", "split", "accept", "reject", "move", "play"):
        assert f'data-action="{action}"' in scenes
    noise = http.get("/noise").text
    for shot in client.list_shots(cluster_id="noise"):
        for n, candidate in enumerate(shot.candidates[:3], 1):  # top-3 suggestions with scores
            assert f'data-bin-id="{candidate.cluster_id}" data-key="{n}"' in noise
            assert f"{candidate.score:.2f}" in noise
    review = http.get("/review").text
    queue = [item.shot.shot_id for item in client.review_queue(limit=100)]
    assert [review.index(f'data-shot-id="{s}"') for s in queue] == sorted(review.index(f'data-shot-id="{s}"')
                                                                          for s in queue)


def test_grids_are_paged(site) -> None:
    _, client, _, http = site
    big = max(client.list_clusters().clusters, key=lambda c: c.shot_count)
    first = http.get(f"/fragments/shots?bin={big.cluster_id}&limit=3").text
    ids = [s.shot_id for s in big.shots]
    assert [i for i in ids if f'data-shot-id="{i}"' in first] == ids[:3]
    assert "offset=3" in first and 'hx-trigger="revealed"' in first
    rest = http.get(f"/fragments/shots?bin={big.cluster_id}&offset=3&limit=3").text
    assert [i for i in ids if f'data-shot-id="{i}"' in rest] == ids[3:6]
    assert len(ids) <= 6 and "hx-trigger" not in rest  # the last page says there is no more


def test_ingest_a_folder_by_its_path_with_readable_errors(site, tmp_path: Path) -> None:
    _, client, _, http = site
    relative = http.post("/api/ingest", json={"path": "footage/day1"})
    assert relative.status_code == 400 and "full path" in relative.json()["error"]
    missing = http.post("/api/ingest", json={"path": str(tmp_path / "nowhere")})
    assert missing.status_code == 400 and "no such file or folder" in missing.json()["error"]
    # a folder is walked by the job: one with no video ends failed, saying so
    empty = http.post("/api/ingest", json={"path": str(tmp_path)}).json()
    for _ in client.watch_job(empty["job_id"]):
        pass
    assert "no video files" in client.get_job(empty["job_id"]).error
    folder = tmp_path / "day2"
    folder.mkdir()
    encode(folder / "extra.mp4", [*still(texture(77), 12), *pan(78, 12)])
    started = http.post("/api/ingest", json={"path": str(folder)}).json()
    with http.stream("GET", f"/events/jobs/{started['job_id']}") as stream:
        events = [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-1] == {"job_id": started["job_id"]}  # the end event
    assert events[-2]["state"] == "succeeded" and events[-2]["files_done"] == 1
    assert all(e["job_id"] == started["job_id"] for e in events)  # (mid-job progress: the browser test)
    assert any(m.path.endswith("extra.mp4") for m in client.list_media())


def test_the_change_stream_reports_anyones_correction(site) -> None:
    _, client, _, http = site
    seen: list[dict] = []

    def listen() -> None:
        with http.stream("GET", "/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if len(seen) == 2:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    for _ in range(100):
        if seen:
            break
        threading.Event().wait(0.05)
    client.rename_cluster(client.list_clusters().clusters[0].cluster_id, "Kitchen")  # another editor, over gRPC
    listener.join(10)
    assert len(seen) == 2 and seen[1]["scenes"] > seen[0]["scenes"]


def test_shots_play_from_the_source_with_range_requests(site) -> None:
    server, client, _, http = site
    shot = client.list_shots()[1]
    how = http.get(f"/shots/{shot.shot_id}/play").json()
    assert how["proxy"] is False and (how["start"], how["end"]) == (pytest.approx(shot.start_s), pytest.approx(shot.end_s))
    media = client.get_media(shot.media_id)
    part = http.get(how["src"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == Path(media.path).read_bytes()[100:200]
    assert part.headers["content-type"] == "video/mp4"


def test_a_prores_shot_gets_an_h264_proxy(served, tmp_path: Path) -> None:
    server, client = served
    clip = encode(tmp_path / "prores.mov", [*still(texture(5, 320, 180), 15), *pan(6, 20, width=320, height=180)],
                  codec="prores_ks", pix_fmt="yuv422p10le")
    ingest(server, [clip])
    media = server.project.ingest.list_media()[0]
    assert not plays_in_browser(media)
    shots = client.list_shots()
    with review_page(server) as page, httpx.Client(base_url=page.url, timeout=120) as http:
        how = http.get(f"/shots/{shots[1].shot_id}/play").json()
        assert how["proxy"] is True and how["codec"] == "prores"
        proxy = http.get(how["src"])
        assert proxy.status_code == 200 and proxy.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(proxy.content)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert len(frames) == shots[1].end_frame - shots[1].start_frame
    assert (frames[0].width, frames[0].height) == (320, 180)
    assert (server.project.config.data_dir / "proxies" / f"{shots[1].shot_id}.mp4").is_file()  # cached


def test_a_missing_source_says_so_plainly(served, tmp_path: Path) -> None:
    server, client = served
    clip = encode(tmp_path / "gone.mov", [*still(texture(8), 12)], codec="prores_ks", pix_fmt="yuv422p10le")
    ingest(server, [clip])
    clip.unlink()
    shot = client.list_shots()[0]
    with review_page(server) as page:
        answer = httpx.get(f"{page.url}shots/{shot.shot_id}/proxy.mp4", timeout=60)
    assert answer.status_code == 503 and "is not there any more" in answer.text


def test_export_downloads_parse(site) -> None:
    _, client, _, http = site
    tree = client.list_clusters()
    chosen = [c.cluster_id for c in tree.clusters[:2]]
    fcpxml = http.get("/export", params={"format": "fcpxml", "bin": chosen, "noise": "0"})
    assert fcpxml.status_code == 200 and 'filename="' in fcpxml.headers["content-disposition"]
    events = etree.fromstring(fcpxml.content).findall(".//event")
    assert [(e.get("name"), len(e.findall("asset-clip"))) for e in events] == [
        (c.name, c.shot_count) for c in tree.clusters[:2]]
    edl = http.get("/export", params={"format": "edl"})
    assert edl.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(edl.content)).namelist()
    assert len(names) == len(tree.clusters) + 1 and all(n.endswith(".edl") for n in names)
    wrong = http.get("/export", params={"format": "avid"})
    assert wrong.status_code == 400 and "fcpxml" in wrong.text


def test_vendored_files_are_the_published_ones_with_their_licences() -> None:
    import hashlib
    import re

    vendor = Path(__file__).resolve().parents[1] / "server" / "binsight" / "web" / "static" / "vendor"
    table = re.findall(r"\| `([^`]+\.js)` \| `([^`]+)`[^|]*\| ([\d.]+) \| [^|]*\(`(LICENSE-[a-z]+)`\) \| `([0-9a-f]{64})` \|",
                       (vendor / "README.md").read_text())
    assert {name for name, *_ in table} == {p.name for p in vendor.glob("*.js")} == {
        "htmx-2.0.11.min.js", "Sortable-1.15.7.min.js"}
    base = (vendor.parents[1] / "templates" / "base.html").read_text()
    for name, package, version, licence, digest in table:
        data = (vendor / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        assert version in name and f"/static/vendor/{name}" in base
        assert (vendor / licence).read_text().strip()
    assert b"Sortable 1.15.7" in (vendor / "Sortable-1.15.7.min.js").read_bytes()[:80]


def test_a_running_ingest_can_be_cancelled(site, tmp_path: Path) -> None:
    _, client, _, http = site
    clip = encode(tmp_path / "long.mp4", [*pan(95, 900, 1)])  # 36 s: still running when cancelled
    started = http.post("/api/ingest", json={"path": str(clip)}).json()
    answer = http.post("/api/cancel-job", json={"job_id": started["job_id"]})
    assert answer.status_code == 200
    with http.stream("GET", f"/events/jobs/{started['job_id']}") as stream:
        events = [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")]
    assert events[-2]["state"] == "cancelled"
    assert not any(m.path.endswith("long.mp4") for m in client.list_media())  # nothing half-ingested
    assert http.post("/api/cancel-job", json={"job_id": "nope"}).status_code == 404
