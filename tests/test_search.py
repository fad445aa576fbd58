"""Search through the real server and SDK over real ingested clips: each query part (a shot, a
keyframe, an uploaded JPEG/PNG, words, a person), each filter with its exact hit set, the
cut-off, words from a slate and a renamed bin, the vector index above its threshold giving the
exact search's top hits, results as a bin and as an export, and bad input."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import cv2
import pytest

from binsight.app.search import TEXT_NEEDS_CLIP
from binsight_client import InvalidArgument, NotFound, SearchFilters
from media_factory import encode
from test_server import pan_shot, still_shot

# two files of two reels, shot on two days at two rates; kitchen twice in A001, garden in both
PLAN_A = [("kitchen", "still", 30), ("garden", "pan", 40), ("kitchen", "still", 30)]
PLAN_B = [("office", "still", 30), ("garden", "pan", 60)]
TAGS = {"movflags": "use_metadata_tags"}  # keep the reel tag in an MP4


def _frames(plan):
    frames = []
    for i, (setup, kind, n) in enumerate(plan):
        frames += still_shot(setup, n, shift=4 * i) if kind == "still" else pan_shot(setup, n)
    return frames


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("search")
    a = encode(folder / "a001_day1.mp4", _frames(PLAN_A), fps=Fraction(25),
               metadata={"reel_name": "A001", "creation_time": "2026-11-01T09:00:00.000000Z"}, container_options=TAGS)
    b = encode(folder / "b002_day2.mp4", _frames(PLAN_B), fps=Fraction(24),
               metadata={"reel_name": "B002", "creation_time": "2026-11-20T15:30:00.000000Z"}, container_options=TAGS)
    return a, b


@pytest.fixture
def project(served, clips):
    server, client = served
    assert client.ingest([str(p) for p in clips]).state == "succeeded"
    media = {Path(m.path).name: m for m in client.list_media()}
    a, b = media["a001_day1.mp4"], media["b002_day2.mp4"]
    shots_a = client.list_shots(media_id=a.media_id)
    shots_b = client.list_shots(media_id=b.media_id)
    assert (len(shots_a), len(shots_b)) == (3, 2)
    return server, client, a, b, shots_a, shots_b


def _ids(result) -> set[str]:
    return {h.shot.shot_id for h in result.hits}


def everything(client, **filters) -> set[str]:
    """Every shot a filter lets through: an uploaded picture ranks them all (it is no shot, so
    none is left out as the example; limit 50, no cut-off)."""
    ok, data = cv2.imencode(".jpg", still_shot("office", 1)[0])
    return _ids(client.search(image=data.tobytes(), filters=SearchFilters(**filters), limit=50, min_score=-1.0))


def test_picture_parts_find_the_same_setup(project) -> None:
    _, client, a, _, shots_a, _ = project
    kitchen, _, kitchen_again = shots_a
    by_shot = client.search(shot_id=kitchen.shot_id, limit=3)
    assert by_shot.hits[0].shot.shot_id == kitchen_again.shot_id
    assert kitchen.shot_id not in _ids(by_shot), "the example is not its own hit"
    top = by_shot.hits[0]
    assert top.matched == ["picture"] and top.keyframe_id in {k.keyframe_id for k in kitchen_again.keyframes}
    assert top.shot.source_in == kitchen_again.source_in and top.shot.source_in.startswith("00:00:")
    assert by_shot.model_id.startswith("pixels") and by_shot.notes == []
    assert [h.score for h in by_shot.hits] == sorted((h.score for h in by_shot.hits), reverse=True)

    by_keyframe = client.search(keyframe_id=kitchen.keyframes[0].keyframe_id, limit=3)
    assert by_keyframe.hits[0].shot.shot_id == kitchen_again.shot_id

    frame = still_shot("kitchen", 1)[0]
    for ext in (".jpg", ".png"):
        ok, data = cv2.imencode(ext, frame)
        by_image = client.search(image=data.tobytes(), limit=2)
        assert {h.shot.shot_id for h in by_image.hits} == {kitchen.shot_id, kitchen_again.shot_id}, ext
        assert by_image.hits[0].score > 0.9

    assert [h.shot.shot_id for h in client.search_similar(kitchen.shot_id, limit=1)] == [kitchen_again.shot_id]


def test_words_without_clip_say_so_and_match_names(project) -> None:
    _, client, a, b, shots_a, shots_b = project
    result = client.search(text="B002")
    assert result.notes == [TEXT_NEEDS_CLIP]
    assert _ids(result) == {s.shot_id for s in shots_b}
    assert all("words: reel B002" in h.matched and h.score == 1.0 for h in result.hits), [(h.matched, h.score) for h in result.hits]
    assert all(h.keyframe_id == h.shot.keyframes[0].keyframe_id for h in result.hits)
    by_file = client.search(text="a001_day1")  # the file name's words: a001, day1
    assert _ids(by_file) == {s.shot_id for s in shots_a}
    assert all("words: file a001_day1.mp4" in h.matched for h in by_file.hits)
    half = client.search(text="day1 nothing", min_score=0.0)
    assert {h.score for h in half.hits} == {0.5} and _ids(half) == {s.shot_id for s in shots_a}
    assert {h.shot.shot_id for h in client.search_text("B002")} == {s.shot_id for s in shots_b}
    assert client.search(text="zebra").hits == []


def test_words_of_a_slate_and_a_renamed_bin(project) -> None:
    _, client, a, b, shots_a, shots_b = project
    client.correct_slate(b.media_id, {"scene": "12A", "take": "3"})
    slate = client.search(text="12a")
    assert _ids(slate) == {s.shot_id for s in shots_b}
    assert all("words: slate 12A" in h.matched for h in slate.hits)

    kitchen = next(s for s in client.list_shots() if s.shot_id == shots_a[0].shot_id)
    assert kitchen.cluster_id != "noise"
    client.rename_cluster(kitchen.cluster_id, "Kitchen Table")
    members = {s.shot_id for s in client.list_shots(cluster_id=kitchen.cluster_id)}
    renamed = client.search(text="table")
    assert _ids(renamed) == members and members >= {shots_a[0].shot_id, shots_a[2].shot_id}
    assert all("words: bin Kitchen Table" in h.matched for h in renamed.hits)


def test_each_filter_gives_its_exact_shot_set(project) -> None:
    _, client, a, b, shots_a, shots_b = project
    every = {s.shot_id for s in shots_a + shots_b}
    ids_a, ids_b = {s.shot_id for s in shots_a}, {s.shot_id for s in shots_b}
    shots = {s.shot_id: s for s in client.list_shots()}
    assert everything(client) == every
    assert everything(client, media_ids=[b.media_id]) == ids_b
    assert everything(client, reels=["A001"]) == ids_a
    assert everything(client, frame_rates=[Fraction(24)]) == ids_b
    assert everything(client, frame_rates=[Fraction(25), Fraction(24000, 1001)]) == ids_a
    assert everything(client, shot_after="2026-11-10") == ids_b
    assert everything(client, shot_before="2026-11-01") == ids_a, "a date alone includes its whole day"
    assert everything(client, shot_before="2026-10-31") == set()
    long = {sid for sid, s in shots.items() if s.end_s - s.start_s >= 1.5}
    assert 0 < len(long) < len(every)
    assert everything(client, min_duration_s=1.5) == long
    assert everything(client, max_duration_s=1.5) == every - long
    assert everything(client, faces_only=True) == set(), "faces are off: no shot has faces"
    kitchen_bin = shots[shots_a[0].shot_id].cluster_id
    members = {sid for sid, s in shots.items() if s.cluster_id == kitchen_bin}
    assert everything(client, cluster_ids=[kitchen_bin]) == members
    noise = {sid for sid, s in shots.items() if s.cluster_id == "noise"}
    assert everything(client, cluster_ids=["noise"]) == noise
    # a filter is pushed into the vector query: the top k are the best of what it lets through
    top = client.search(shot_id=shots_a[0].shot_id, filters=SearchFilters(media_ids=[b.media_id]), limit=1)
    assert len(top.hits) == 1 and top.hits[0].shot.shot_id in ids_b
    # bins follow corrections at once: a move changes what the bin filter lets through
    client.move_shot(shots_b[0].shot_id, kitchen_bin)
    assert everything(client, cluster_ids=[kitchen_bin]) == members | {shots_b[0].shot_id}


def test_min_score_cuts_off(project) -> None:
    _, client, _, _, shots_a, _ = project
    ranked = client.search(shot_id=shots_a[0].shot_id, limit=50, min_score=-1.0)
    assert len(ranked.hits) == 4
    cut = sorted(h.score for h in ranked.hits)[2]
    kept = client.search(shot_id=shots_a[0].shot_id, limit=50, min_score=cut)
    assert _ids(kept) == {h.shot.shot_id for h in ranked.hits if h.score >= cut} and len(kept.hits) == 2


def test_results_become_a_bin_and_an_export(project) -> None:
    _, client, _, b, _, shots_b = project
    result = client.search(text="B002")
    made = client.create_bin([h.shot.shot_id for h in result.hits], name="Reel B002")
    tree = client.list_clusters()
    (new_bin,) = [c for c in tree.clusters if c.name == "Reel B002"]
    assert {s.shot_id for s in new_bin.shots} == {s.shot_id for s in shots_b} and made.event.action == "create_bin"
    export = client.export("edl", shot_ids=[h.shot.shot_id for h in result.hits], bin_name="Reel B002")
    text = b"".join(f.data for f in export).decode()
    assert text.count("b002_day2.mp4") >= len(shots_b) and "Reel B002" in text


def test_bad_input_gets_statuses_and_changes_nothing(project) -> None:
    _, client, _, _, shots_a, _ = project
    before = client.status().shot_count
    shot = shots_a[0].shot_id
    cases = [
        (InvalidArgument, "empty", dict()),
        (InvalidArgument, "empty", dict(text="   ")),
        (InvalidArgument, "limit", dict(shot_id=shot, limit=5000)),
        (InvalidArgument, "limit", dict(shot_id=shot, limit=-1)),
        (InvalidArgument, "min_score", dict(shot_id=shot, min_score=math.nan)),
        (InvalidArgument, "JPEG or PNG", dict(image=b"not a picture")),
        (InvalidArgument, "decoded", dict(image=b"\xff\xd8\xff\xe0" + b"\x00" * 20)),
        (InvalidArgument, "ISO 8601", dict(shot_id=shot, filters=SearchFilters(shot_after="last tuesday"))),
        (InvalidArgument, "frame rate", dict(shot_id=shot, filters=SearchFilters(frame_rates=[Fraction(0)]))),
        (InvalidArgument, "max_duration_s", dict(shot_id=shot, filters=SearchFilters(max_duration_s=-2))),
        (NotFound, "no shot", dict(shot_id="nope")),
        (NotFound, "no keyframe", dict(keyframe_id="nope")),
        (NotFound, "no media", dict(shot_id=shot, filters=SearchFilters(media_ids=["nope"]))),
        (NotFound, "nope", dict(shot_id=shot, filters=SearchFilters(cluster_ids=["nope"]))),
        (NotFound, "no person", dict(shot_id=shot, filters=SearchFilters(person_ids=["nope"]))),
        (NotFound, "nobody", dict(person="@Nobody")),
        (NotFound, "no person", dict(person="c-nope")),
    ]
    for error, words, kwargs in cases:
        with pytest.raises(error, match=words):
            client.search(**kwargs)
    assert client.status().shot_count == before


def test_vector_index_above_threshold_gives_the_exact_top_hits(start_server, clips) -> None:
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(p) for p in clips])
    queries = [s.shot_id for s in client.list_shots()]
    exact = {q: [h.shot.shot_id for h in client.search(shot_id=q, limit=3).hits] for q in queries}
    assert server.project.search_index.exact
    client.close()
    server.stop()

    server, client = start_server(**{"faces.enabled": False, "search.index_threshold": 4, "search.partitions": 1})
    server.project.search_index.wait()
    info = server.project.search_index.info()
    assert info.kind and not server.project.search_index.exact
    assert info.indexed_rows == server.project.search_index.table.count()
    indexed = {q: [h.shot.shot_id for h in client.search(shot_id=q, limit=3).hits] for q in queries}
    assert indexed == exact


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    import face_footage as ff
    if not ff.FACES.is_dir():
        pytest.skip(f"{ff.FACES} is absent: the shared face photos are needed")
    shots = [s for s in ff.photos() if len(s.people) == 1][:6]
    return ff.people_clip(tmp_path_factory.mktemp("people"), 90, shots=shots)


def test_person_part_and_person_and_face_filters(start_server, people) -> None:
    _, client = start_server(**{"search.index_threshold": 1_000_000})
    client.ingest([str(people.path)])
    shots = client.list_shots()
    assert len(shots) == len(people.shots)
    person = client.list_characters()[0]
    client.rename_character(person.character_id, "Ana Lopez")
    theirs = {s.shot_id for s in shots if person.character_id in s.character_ids}
    assert theirs
    found = client.search(person="@ana lopez")
    assert _ids(found) == theirs and all(h.matched == ["person: Ana Lopez"] and h.score == 1.0 for h in found.hits)
    assert _ids(client.search(person=person.character_id)) == theirs
    by_word = client.search(text="lopez")
    assert _ids(by_word) == theirs and all("words: person Ana Lopez" in h.matched for h in by_word.hits)
    with_faces = {s.shot_id for s in shots if s.face_count > 0}
    assert with_faces and everything(client, faces_only=True) == with_faces
    assert everything(client, person_ids=[person.character_id]) == theirs
    picture = client.search(shot_id=shots[0].shot_id, person="@Ana Lopez", limit=50, min_score=-1.0)
    assert _ids(picture) == theirs - {shots[0].shot_id}
    assert all(h.matched == ["picture", "person: Ana Lopez"] for h in picture.hits)


def test_cli_search_makes_a_bin_and_exports(project, tmp_path: Path) -> None:
    from test_cli import binsight

    server, client, _, _, _, shots_b = project
    out = tmp_path / "found"
    result = binsight("--address", server.address, "search", "B002", "--make-bin", "Reel B", "--export", "edl",
                      "--out", str(out), data_dir=tmp_path / "cli")
    assert result.returncode == 0, result.stderr
    assert TEXT_NEEDS_CLIP in result.stderr
    lines = result.stdout.splitlines()
    assert sum("b002_day2.mp4 #" in line for line in lines) == len(shots_b)
    assert any("words: reel B002" in line for line in lines) and any("create_bin" in line for line in lines)
    (bin_,) = [c for c in client.list_clusters().clusters if c.name == "Reel B"]
    assert {s.shot_id for s in bin_.shots} == {s.shot_id for s in shots_b}
    (edl,) = out.glob("*.edl")
    assert edl.read_text().count("b002_day2.mp4") >= len(shots_b)
    bad = binsight("--address", server.address, "search", "--limit", "0", "--min-score", "nan", "x",
                   data_dir=tmp_path / "cli")
    assert bad.returncode != 0 and "min_score" in bad.stderr


def test_review_page_searches_with_filters_and_makes_a_bin(project) -> None:
    import httpx
    from review_project import review_page

    server, client, a, b, shots_a, shots_b = project
    with review_page(server) as page:
        with httpx.Client(base_url=page.url, timeout=60,
                          headers={"X-Binsight-Token": page.gate.token, "X-Binsight-Actor": "alice"}) as http:
            html = http.get("/search", params={"q": "day1 day2"}).text
            assert TEXT_NEEDS_CLIP.split(";")[0] in html
            assert all(f'data-shot-id="{s.shot_id}"' in html for s in shots_a + shots_b)
            only_b = http.get("/search", params={"q": "day1 day2", "media": b.media_id}).text
            assert [s.shot_id for s in shots_a if f'data-shot-id="{s.shot_id}"' in only_b] == []
            assert all(f'data-shot-id="{s.shot_id}"' in only_b for s in shots_b)
            assert "words: file b002_day2.mp4" in only_b
            bad = http.get("/search", params={"q": "x", "min_score": "high"}).text
            assert "min_score must be a number" in bad
            answer = http.post("/api/create-bin", json={"shot_ids": [s.shot_id for s in shots_b],
                                                        "name": "From search"}).json()
            assert answer["message"] == "Made a bin From search of 2 shots" and len(answer["feedback_ids"]) == 1
    (made,) = [c for c in client.list_clusters().clusters if c.name == "From search"]
    assert {s.shot_id for s in made.shots} == {s.shot_id for s in shots_b}
    assert client.list_feedback()[-1].actor == "alice"
