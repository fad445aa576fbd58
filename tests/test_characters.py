"""Character clustering: same-frame cannot-links, quality gates, robust set distances and the
editor's constraints, on synthetic dlib-like face vectors (bench/labelled_footage.py)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import labelled_footage as datasets  # noqa: E402  (not "datasets": LanceDB mistakes that for Hugging Face)

from binsight.clustering import metrics  # noqa: E402
from binsight.clustering.characters import (  # noqa: E402
    CharacterConfig,
    Face,
    character_subclusters,
    cluster_characters,
)

CONFIG = CharacterConfig(match_threshold=0.6)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def face(fid: str, shot: str, frame: int, vector: np.ndarray, good: bool = True) -> Face:
    if good:
        return Face(fid, shot, frame, 0.95, 120.0, 200.0, unit(vector))
    return Face(fid, shot, frame, 0.4, 18.0, 10.0, unit(vector))


@pytest.fixture(scope="module")
def fd() -> datasets.FaceDataset:
    return datasets.make_face_dataset(seed=0)


def as_faces(fd: datasets.FaceDataset) -> list[Face]:
    return [Face(fd.face_ids[i], fd.shot_ids[i], fd.frames[i], float(fd.det_scores[i]),
                 float(fd.sizes_px[i]), float(fd.sharpness[i]), fd.vectors[i])
            for i in range(len(fd.face_ids))]


def test_dataset_cast_found_and_extras_left_out(fd):
    faces = as_faces(fd)
    result = cluster_characters(faces, CONFIG)
    pred = [result.face_character[f.face_id] for f in faces]
    cast = fd.persons >= 0
    m = metrics.bcubed_prf(fd.persons[cast], [p for p, c in zip(pred, cast) if c])
    assert m["precision"] >= 0.98 and m["recall"] >= 0.9, m
    # no character is made of extras only
    by_char = Counter(p for p, c in zip(pred, cast) if c and p is not None)
    assert set(p for p in pred if p is not None) == set(by_char)


def test_same_frame_faces_never_one_character(fd):
    faces = as_faces(fd)
    rng = np.random.default_rng(1)
    twin = unit(rng.normal(size=128))
    # identical twins side by side in three frames of each of two shots: same vector, same frame
    for shot in ("twins-a", "twins-b"):
        for frame in range(3):
            faces.append(face(f"{shot}-{frame}-l", shot, frame, twin + rng.normal(scale=0.01, size=128)))
            faces.append(face(f"{shot}-{frame}-r", shot, frame, twin + rng.normal(scale=0.01, size=128)))
    result = cluster_characters(faces, CONFIG)
    seen = Counter((f.shot_id, f.frame, result.face_character[f.face_id]) for f in faces
                   if result.face_character[f.face_id] is not None)
    assert max(seen.values()) == 1


def test_faces_too_poor_to_judge_stay_unassigned():
    """Tiny, low-score faces never found a character and never join one, even when good faces of
    that person exist: left unassigned rather than merged wrongly."""
    rng = np.random.default_rng(2)
    person = unit(rng.normal(size=128))
    faces = [face(f"blur{s}-{f}", f"shot{s}", f, person + rng.normal(scale=0.02, size=128), good=False)
             for s in range(6) for f in range(4)]
    result = cluster_characters(faces, CONFIG)
    assert set(result.face_character.values()) == {None}
    faces += [face(f"sharp{s}-{f}", f"lit{s}", f, person + rng.normal(scale=0.02, size=128))
              for s in range(2) for f in range(3)]
    result = cluster_characters(faces, CONFIG)
    assert len({result.face_character[f.face_id] for f in faces if f.face_id.startswith("sharp")}) == 1
    assert all(result.face_character[f.face_id] is None for f in faces if f.face_id.startswith("blur"))


def small(fid: str, shot: str, frame: int, vector: np.ndarray, size: float = 32.0) -> Face:
    """A usable small face: confident, but below the size and sharpness a good face needs."""
    return Face(fid, shot, frame, 1.2, size, 20.0, unit(vector))


def test_small_faces_found_a_person_with_evidence_from_several_shots():
    """A singer seen only at 30 px: tracks of several frames in several shots found a person;
    one track in one shot is not enough, nor are two-frame glimpses."""
    rng = np.random.default_rng(4)
    singer, drummer = unit(rng.normal(size=128)), unit(rng.normal(size=128))
    noisy = lambda v: v + rng.normal(scale=0.015, size=128)  # noqa: E731
    faces = [small(f"sing{s}-{f}", f"shot{s}", f, noisy(singer)) for s in range(5) for f in range(4)]
    faces += [small(f"drum{s}-{f}", f"shot{s}", 10 + f, noisy(drummer)) for s in range(5) for f in range(4)]
    result = cluster_characters(faces, CONFIG)
    sing = {result.face_character[f.face_id] for f in faces if f.face_id.startswith("sing")}
    drum = {result.face_character[f.face_id] for f in faces if f.face_id.startswith("drum")}
    assert len(sing) == 1 and len(drum) == 1 and sing != drum and None not in sing | drum
    one_shot = [f for f in faces if f.shot_id == "shot0" and f.face_id.startswith("sing")]
    assert set(cluster_characters(one_shot, CONFIG).face_character.values()) == {None}
    glimpses = [f for f in faces if f.face_id.startswith("sing") and f.frame < 2]
    assert set(cluster_characters(glimpses, CONFIG).face_character.values()) == {None}


def test_single_close_pair_does_not_merge_people():
    """An extra whose one face lands next to one frame of the lead stays apart: tracks are
    compared by the median of all pair distances, not the nearest pair."""
    rng = np.random.default_rng(3)
    lead, extra = unit(rng.normal(size=128)), unit(rng.normal(size=128))
    faces = [face(f"lead{s}-{f}", f"s{s}", f, lead + rng.normal(scale=0.03, size=128))
             for s in range(3) for f in range(3)]
    faces += [face(f"extra-{f}", "s9", f, extra + rng.normal(scale=0.03, size=128)) for f in range(3)]
    faces.append(face("extra-3", "s9", 3, faces[0].vector + rng.normal(scale=0.01, size=128)))
    result = cluster_characters(faces, CONFIG)
    assert result.face_character["extra-0"] != result.face_character["lead0-0"]


def apart_pair(faces: list[Face], assignment: dict) -> tuple[str, str]:
    """Two characters never on screen together (so the editor may merge or swap them)."""
    frames: dict[str, set] = {}
    for f in faces:
        cid = assignment[f.face_id]
        if cid is not None:
            frames.setdefault(cid, set()).add((f.shot_id, f.frame))
    chars = sorted(frames)
    return next((a, b) for a in chars for b in chars if a < b and not frames[a] & frames[b])


def test_editor_constraints_and_names_survive(fd):
    faces = as_faces(fd)
    first = cluster_characters(faces, CONFIG)
    a, b = apart_pair(faces, first.face_character)
    face_a = next(f.face_id for f in faces if first.face_character[f.face_id] == a)
    face_b = next(f.face_id for f in faces if first.face_character[f.face_id] == b)
    other = next(c for c in sorted(set(first.face_character.values()) - {None}) if c not in (a, b))
    rejected = next(f.face_id for f in faces if first.face_character[f.face_id] == other)
    # the editor assigns a face of b to a and says a face of a third character is not them
    again = cluster_characters(faces, CONFIG, previous=first.face_character,
                               pins={face_b: a}, not_this_person=[(rejected, other)])
    assert again.face_character[face_b] == a
    assert again.face_character[rejected] != other
    assert again.face_character[face_a] == a  # ids (and so names) carry over
    assert set(again.face_character.values()) - {None} <= set(first.face_character.values())
    per_frame = Counter((f.shot_id, f.frame, again.face_character[f.face_id]) for f in faces
                        if again.face_character[f.face_id] is not None)
    assert max(per_frame.values()) == 1


def test_pin_wins_a_same_frame_clash(fd):
    """Pinning a face onto a character that already has a face in that frame: the pin stays,
    the other face leaves (two faces of one frame are never one character)."""
    faces = as_faces(fd)
    first = cluster_characters(faces, CONFIG)
    by_frame: dict[tuple, list[Face]] = {}
    for f in faces:
        if first.face_character[f.face_id] is not None:
            by_frame.setdefault((f.shot_id, f.frame), []).append(f)
    mine, theirs = next(group for group in by_frame.values() if len(group) >= 2)[:2]
    target = first.face_character[theirs.face_id]
    again = cluster_characters(faces, CONFIG, previous=first.face_character, pins={mine.face_id: target})
    assert again.face_character[mine.face_id] == target
    assert again.face_character[theirs.face_id] != target


def test_merged_characters_stay_merged(fd):
    faces = as_faces(fd)
    first = cluster_characters(faces, CONFIG)
    survivor, absorbed = apart_pair(faces, first.face_character)
    again = cluster_characters(faces, CONFIG, previous=first.face_character, merges={absorbed: survivor})
    for f in faces:
        if first.face_character[f.face_id] in (survivor, absorbed):
            assert again.face_character[f.face_id] == survivor
    assert absorbed not in set(again.face_character.values())


def test_real_dlib_faces():
    """Real vectors (../shared/faces): people with several photos become one character each,
    faces of one group photo stay apart, the one-photo person and the unknown child found none."""
    fd = datasets.real_face_dataset()
    if fd is None:
        pytest.skip("../shared/faces or the dlib backend/weights are absent")
    faces = as_faces(fd)
    result = cluster_characters(faces, CharacterConfig(match_threshold=fd.match_threshold))
    pred = [result.face_character[f.face_id] for f in faces]
    recurring = [p for p in set(fd.persons.tolist()) if p >= 0 and (fd.persons == p).sum() >= 2]
    for person in recurring:
        assert len({c for c, q in zip(pred, fd.persons) if q == person}) == 1
    assert len(set(pred) - {None}) == len(recurring)
    per_photo = Counter((f.shot_id, p) for f, p in zip(faces, pred) if p is not None)
    assert max(per_photo.values()) == 1
    assert all(p is None for p, q in zip(pred, fd.persons) if q < 0 or (fd.persons == q).sum() == 1)


def test_subclusters_by_cast_and_faceless_shots_stay_at_scene_level():
    scenes = {"s1": "kitchen", "s2": "kitchen", "s3": "kitchen", "s4": None}
    cast = {"s1": ("anna",), "s2": ("anna",), "s4": ("bob",)}
    sub = character_subclusters(scenes, cast)
    assert sub == {"kitchen": {("anna",): ["s1", "s2"], (): ["s3"]}}
