"""People bins from the shared face photos, through the server with the real dlib model: a clip
of every photo (camera moves, hard cuts) gives one people bin per recurring identity, the group
photos never merge two people, and a recluster, a re-run and a forced re-ingest keep the bins
and the names an editor gave them."""

from __future__ import annotations

from collections import defaultdict

import pytest

import face_footage as ff

FACE_PX = 90  # bench/people.py: 94.8% of faces join the right person at this size, none a wrong one


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> ff.PeopleClip:
    if not ff.FACES.is_dir():
        pytest.skip(f"{ff.FACES} is absent: the shared face photos are needed")
    return ff.people_clip(tmp_path_factory.mktemp("people"), FACE_PX)


def _identities(clip: ff.PeopleClip, shots) -> dict[str, set[str]]:
    """Shot id -> the known people in it."""
    return {s.shot_id: set(truth.people) - {ff.UNKNOWN} for s, truth in zip(shots, clip.shots)}


def _who(bin_, who: dict[str, set[str]]) -> set[str]:
    """The identities every shot of a people bin shows (one, when the bin is one person)."""
    sets = [who[s.shot_id] for s in bin_.shots]
    return set.intersection(*sets) if sets else set()


def test_one_people_bin_per_identity_and_group_photos_never_merge(start_server, clip) -> None:
    server, client = start_server()
    assert client.ingest([str(clip.path)]).state == "succeeded"
    shots = client.list_shots()
    assert len(shots) == len(clip.shots), "one shot per photo (hard cuts)"
    who = _identities(clip, shots)
    appearances: dict[str, list[str]] = defaultdict(list)
    for shot_id, people in who.items():
        for person in people:
            appearances[person].append(shot_id)

    people = client.list_clusters().people
    owner = {}
    for bin_ in people:
        (identity,) = _who(bin_, who)  # every shot of the bin shows this one person: no bin mixes two
        assert identity not in owner, f"{identity} has two people bins: {owner.get(identity)} and {bin_.cluster_id}"
        owner[identity] = bin_.cluster_id
        assert len(bin_.shots) >= 2
    recurring = {p for p, s in appearances.items() if len(s) >= 2}
    assert recurring <= set(owner), f"recurring people without a bin: {sorted(recurring - set(owner))}"

    # the group photos: two faces of one frame are never one person
    project = server.project
    faces = {f.face_id: f for f in project.store.faces.without_vectors()}
    seen: set[tuple[str, str, int]] = set()
    for face_id, character in project.characters.snapshot().face_character.items():
        key = (character, faces[face_id].shot_id, faces[face_id].frame)
        assert key not in seen, f"two faces of frame {key[2]} are one person {character}"
        seen.add(key)
    obama_and_biden = [s.shot_id for s, truth in zip(shots, clip.shots) if {"barack_obama", "joe_biden"} <= set(truth.people)]
    assert all(owner["barack_obama"] != owner["joe_biden"] for _ in obama_and_biden) and len(obama_and_biden) == 2


def test_recluster_rerun_and_force_keep_people_bins_and_names(start_server, clip) -> None:
    _, client = start_server()
    client.ingest([str(clip.path)])
    who = _identities(clip, client.list_shots())
    named = {}
    for bin_ in client.list_clusters().people:
        (identity,) = _who(bin_, who)
        client.rename_character(bin_.cluster_id, identity.replace("_", " ").title())
        named[bin_.cluster_id] = (identity.replace("_", " ").title(), {s.shot_id for s in bin_.shots})
    assert len(named) >= 4

    def check(after: str) -> None:
        shots = client.list_shots()
        who_now = _identities(clip, shots)
        bins = {b.name: b for b in client.list_clusters().people}
        for name, _ in named.values():
            assert name in bins, f"{after}: the people bin {name!r} is gone"
            assert {i.replace("_", " ").title() for i in _who(bins[name], who_now)} == {name}, after

    client.recluster()
    check("recluster")
    client.ingest([str(clip.path)])
    check("re-run")
    client.ingest([str(clip.path)], force=True)
    check("forced re-ingest")
