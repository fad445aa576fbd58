"""What the commands print: short lines a person reads at a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from binsight_client import types as t


def shot_line(shot: t.Shot) -> str:
    faces = f" faces={shot.face_count}" if shot.face_count else ""
    slate = f"{shot.slate}  " if shot.slate else ""
    return (f"{slate}{Path(shot.media_path).name} #{shot.index + 1}  {shot.source_in}-{shot.source_out}"
            f"  score={shot.score:.2f}{faces}")


def scene_tree(scenes: list[t.SlateScene]) -> None:
    """Scene 12 / 12A / takes 1, 2, 3: the bins an assistant editor builds by hand."""
    if not scenes:
        print("no slates read yet")
    for scene in scenes:
        print(f"Scene {scene.scene}")
        for setup in scene.setups:
            print(f"  {setup.setup}")
            for take in setup.takes:
                print(f"    take {take.take or '?'}  {Path(take.media_path).name}")


def slate(s: t.Slate) -> None:
    fields = "  ".join(f"{f.name}={f.value} ({f.confidence:.2f})" for f in s.fields) or "no fields read"
    where = f"{s.position} frame {s.frame}{' upside down' if s.inverted else ''}" if s.frame >= 0 else "typed"
    state = "UNSURE" if s.unsure else s.label or "-"
    print(f"{Path(s.media_path).name}  {state}  [{where}, {s.source}]  {fields}  [{s.media_id}]")


def tree(clusters: t.ClusterTree) -> None:
    for cluster in clusters.clusters:
        flags = " [locked]" if cluster.locked else ""
        print(f"{cluster.name}  ({cluster.shot_count} shots){flags}  [{cluster.cluster_id}]")
        for shot in cluster.shots:
            print(f"  {shot_line(shot)}")
        for child in cluster.children:
            print(f"  └ {child.name}: {child.shot_count} shots")
    for person in clusters.people:
        print(f"{person.name}  ({person.shot_count} shots, person)  [{person.cluster_id}]")
        for shot in person.shots:
            print(f"  {shot_line(shot)}")
    noise = clusters.noise
    if noise is not None:
        print(f"Noise  ({noise.shot_count} shots)")
        for shot in noise.shots:
            cands = ", ".join(f"{c.name or c.cluster_id} {c.score:.2f}" for c in shot.candidates)
            print(f"  {shot_line(shot)}  candidates: {cands or '-'}")


def search(result: t.SearchResult) -> None:
    if not result.hits:
        print("no shots found")
    for hit in result.hits:
        shot = hit.shot
        faces = f"  faces={shot.face_count}" if shot.face_count else ""
        slate = f"{shot.slate}  " if shot.slate else ""
        print(f"{hit.score:6.3f}  {slate}{Path(shot.media_path).name} #{shot.index + 1}  {shot.source_in}-{shot.source_out}"
              f"{faces}  [{shot.shot_id}]  {'; '.join(hit.matched)}")


def recluster(r: t.ReclusterReport) -> None:
    print(f"{r.shots_total} shots: {r.shots_moved} moved, clusters {r.clusters_before} → {r.clusters_after} "
          f"({r.clusters_created} new, {r.clusters_merged} merged), noise {r.noise_before} → {r.noise_after}, "
          f"{r.seconds:.2f} s")


def job_files(job: t.Job) -> None:
    for f in job.files:
        line = f"{f.status:9} {f.path}  shots={f.shots} faces={f.faces}"
        if f.message:
            line += f"  ({f.message})"
        print(line)
        for warning in f.warnings:
            print(f"          warning: {warning}")


def status(s: t.Status) -> None:
    print(f"binsight {s.version} at {s.address}  (schema {s.schema_version})")
    print(f"data dir      {s.data_dir}")
    if s.scene_model:
        print(f"scene model   {s.scene_model.model_id}  [{s.scene_model.provider}]  {s.scene_model.license}")
    face = s.face_model
    described = f"{face.model_id}  [{face.provider}]  {face.license}" if face and face.model_id else "off"
    print(f"face model    {described}")
    print(f"media {s.media_count}  shots {s.shot_count}  clusters {s.cluster_count}  noise {s.noise_count}  "
          f"faces {s.face_count}  characters {s.character_count}")
    print(f"adapter       {s.active_adapter or 'none'}")
    for note in s.notes:
        print(f"note: {note}")


NOISE_ENDED = frozenset({"move_shot", "reject_shot", "assign_face", "reject_face"})


def feedback(result: t.FeedbackResult, verb: str = "") -> None:
    e = result.event
    empty = "noise" if e.action in NOISE_ENDED else "-"  # a shot's or face's "" is the noise bucket
    what = f"{e.action} {e.subject_id}" + (f" {e.from_id or empty} → {e.to_id or empty}" if e.to_id or e.from_id else "")
    print(f"{verb + ' ' if verb else ''}{what}  ({e.feedback_id}, {e.actor}, {e.state})")


class Bars:
    """One progress bar per file of an ingest job, each on its own line."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._bars: dict[str, Any] = {}
        self._slates_shown = False

    def show(self, event: t.JobEvent) -> None:
        if not event.file:
            return
        if event.stage == "slate":  # after every file is done: one line, not a bar per file
            if not self._slates_shown:
                print("reading slates…", file=sys.stderr)
                self._slates_shown = True
            return
        bar = self._bars.get(event.file)
        if bar is None:
            bar = self._bars[event.file] = self._tqdm(desc=Path(event.file).name, unit="frame", leave=True,
                                                      dynamic_ncols=True, file=sys.stderr)
        if event.stage == "detect" and event.frames_total:
            bar.total = event.frames_total
            bar.n = event.frames_done
        bar.set_postfix_str(event.message if event.stage == "done" else event.stage, refresh=True)
        if event.stage == "done":
            bar.close()


def comparison(c: t.Comparison) -> None:
    print(f"A {c.a_path}\nB {c.b_path}")
    if not c.differences:
        print(f"no differences ({c.unchanged} matched runs unchanged)")
    for d in c.differences:
        a = f"{d.a.tc_in}-{d.a.tc_out}" if d.a else "-"
        b = f"{d.b.tc_in}-{d.b.tc_out}" if d.b else "-"
        trim = f"  head {d.head_frames:+d} tail {d.tail_frames:+d}" if d.kind == "trimmed" else ""
        print(f"{d.kind:9} A {a:25} B {b:25} distance {d.distance:.3f}{trim}{'  ' + d.note if d.note else ''}")
