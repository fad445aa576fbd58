"""People benchmark: how often a detected face joins the right person, a wrong one, or nobody,
per face size, with the real dlib model through the real server.

Run from the project root: ``python bench/people.py [--sizes 20,30,45,70] [--dump FILE]``
(about a minute per size on this machine).

Footage: tests/face_footage.py, one shot per shared face photo (15 portraits of 6 people, 3
group photos with 2-3 people), each a slow push-in with the faces scaled to the given height,
hard cuts between shots. Truth per face: its shot's person (group photos: left to right).

Per size it prints faces detected, the share that joined the right person (the majority
identity of its character), a wrong person, or no one; how many identities got one character and
how many characters mixed two identities. ``--dump`` writes every face (size, score, identity,
vector) as .npz for threshold studies.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

import face_footage as ff  # noqa: E402
from conftest import make_config  # noqa: E402

from binsight.service.server import BinsightServer  # noqa: E402
from binsight_client import Client  # noqa: E402


def truth_of_faces(server: BinsightServer, clip: ff.PeopleClip) -> list[dict]:
    """Every stored face with its true identity (by shot; left to right in group photos)."""
    project = server.project
    shots = sorted(project.catalog.snapshot().shots.values(), key=lambda s: s.index)
    faces = project.store.faces.all()
    people = project.characters.snapshot().face_character
    by_shot: dict[str, list] = defaultdict(list)
    for f in faces:
        by_shot[f.shot_id].append(f)
    out = []
    for shot, truth in zip(shots, clip.shots):
        for f in by_shot.get(shot.shot_id, []):
            identity = truth.people[0]
            if len(truth.people) > 1:  # group photo: rank of the face's centre among the shot's faces in its frame
                same_frame = sorted((g for g in by_shot[shot.shot_id] if g.frame == f.frame), key=lambda g: g.box[0])
                rank = same_frame.index(f)
                identity = truth.people[rank] if rank < len(truth.people) else ff.UNKNOWN
            out.append({"face_id": f.face_id, "shot": shot.index, "size": f.size_px, "score": f.det_score,
                        "sharpness": f.sharpness, "identity": identity, "character": people.get(f.face_id),
                        "vector": np.asarray(f.vector)})
    return out


def score(faces: list[dict]) -> dict:
    majority = {}
    for character, members in _group(faces).items():
        majority[character] = Counter(f["identity"] for f in members).most_common(1)[0][0]
    right = sum(1 for f in faces if f["character"] and majority[f["character"]] == f["identity"])
    wrong = sum(1 for f in faces if f["character"] and majority[f["character"]] != f["identity"])
    mixed = sum(1 for members in _group(faces).values() if len({f["identity"] for f in members}) > 1)
    known = {f["identity"] for f in faces if f["identity"] != ff.UNKNOWN}
    found = {majority[c] for c in majority}
    return {"faces": len(faces), "right": right, "wrong": wrong, "none": len(faces) - right - wrong,
            "characters": len(majority), "mixed": mixed, "identities": len(known), "identities_found": len(known & found)}


def _group(faces: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for f in faces:
        if f["character"]:
            groups[f["character"]].append(f)
    return groups


def run(size: int, folder: Path) -> list[dict]:
    clip = ff.people_clip(folder, size)
    with tempfile.TemporaryDirectory() as data:
        server = BinsightServer(make_config(Path(data))).start()
        try:
            client = Client(server.address, timeout=1200)
            job = client.ingest([str(clip.path)])
            assert job.state == "succeeded", job.error
            return truth_of_faces(server, clip)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,30,45,70")
    parser.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "binsight-people-clips")
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    args.clips.mkdir(parents=True, exist_ok=True)
    dumped = []
    print(f"{'face px':>8} {'faces':>6} {'right':>6} {'wrong':>6} {'none':>6}  people found / known  mixed characters")
    for size in (int(s) for s in args.sizes.split(",")):
        faces = run(size, args.clips)
        s = score(faces)
        n = max(1, s["faces"])
        print(f"{size:>8} {s['faces']:>6} {s['right'] / n:>6.1%} {s['wrong'] / n:>6.1%} {s['none'] / n:>6.1%}  "
              f"{s['identities_found']:>5} / {s['identities']:<5}  {s['mixed']}")
        dumped += [{**f, "bench_px": size} for f in faces]
    if args.dump:
        np.savez(args.dump, **{k: np.asarray([f[k] for f in dumped]) for k in dumped[0] if k != "vector"},
                 vector=np.stack([f["vector"] for f in dumped]))


if __name__ == "__main__":
    main()
