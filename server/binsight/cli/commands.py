"""The commands. Every one but ``serve`` and ``models`` goes through the client SDK, as a Resolve
panel does, to the server ``connect`` finds (or starts)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import webbrowser
from pathlib import Path

from binsight_client import BinsightError, Client
from binsight_client import types as t

from ..access import Access
from ..addresses import is_loopback
from ..config import Config
from ..errors import BinsightError as CoreError
from ..records import TokenScope
from ..runtime import read_card
from . import render
from .connect import connect

RUN_FORMATS = ("bins_json", "otio", "fcpxml", "xmeml", "edl", "ale")


class LocalError(CoreError):
    """A command line that cannot work on this machine (a path that does not exist)."""

    kind = "invalid_argument"


def serve(args: argparse.Namespace, config: Config) -> int:
    from ..service.server import BinsightServer

    flags = {"executor": args.executor, "ray_address": args.ray_address, "ray_workers": args.ray_workers}
    config = config.override({k: v for k, v in flags.items() if v is not None})
    server = BinsightServer(config).start()
    page = f"; review page {server.page.url}" if server.page else ""
    print(f"binsight serving on {server.address}{page} (data: {config.data_dir}); Ctrl-C stops it", file=sys.stderr)
    server.wait()
    return 0


def open_page(args: argparse.Namespace, config: Config) -> int:
    """Open the review page of the server over this data dir; with none running, serve one
    (with its page) until Ctrl-C."""
    card = read_card(config.data_dir)
    if card is not None and card.page_url:
        webbrowser.open(card.page_url)
        print(f"opened {card.page_url}", file=sys.stderr)
        return 0
    if not config.http_address:
        raise LocalError("the review page is off (http_address = \"\"): set it, e.g. 127.0.0.1:8765")
    from ..service.server import BinsightServer

    server = BinsightServer(config).start()
    assert server.page is not None
    webbrowser.open(server.page.url)
    print(f"review page {server.page.url} (server on {server.address}); Ctrl-C stops it", file=sys.stderr)
    server.wait()
    return 0


def allow(client: Client, paths: list[str], config: Config) -> None:
    """Footage named by the local user to a server on this machine: a path that does not exist
    is said at once, and the folders named become media roots of the project over this data dir
    (the user owns it), each said in a line. A remote server's paths are its own business."""
    if not is_loopback(client.address):
        return
    access = Access(config.data_dir)
    known = {r.path for r in access.roots()}
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise LocalError(f"{raw}: no such file or folder")
        folder = path if path.is_dir() else path.parent
        if any(folder == Path(k) or folder.is_relative_to(k) for k in known):
            continue
        access.add_root(str(folder), getpass.getuser())
        known.add(str(folder))
        print(f"media root added: {folder}  (binsight roots list | remove)", file=sys.stderr)


def write_locally(folder: Path, files: t.Export) -> list[Path]:
    """Files whose bytes the server sent, written here by this user (the folder they named)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = folder / Path(f.name).name
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_bytes(f.data)
        os.replace(tmp, path)
        written.append(path)
    return written


def follow(client: Client, paths: list[str], force: bool, recursive: bool = True) -> t.Job:
    """Start an ingest and draw a progress bar per file until it ends."""
    job = client.start_ingest(paths, recursive=recursive, force=force)
    bars = render.Bars()
    for event in client.watch_job(job.job_id):
        bars.show(event)
    job = client.get_job(job.job_id)
    render.job_files(job)
    return job


def run(args: argparse.Namespace, config: Config) -> int:
    """Ingest, recluster, then write every format. A format that fails is reported and the others
    are still written; the exit status says whether all of them were."""
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    with connect(config) as client:
        allow(client, args.paths, config)
        job = follow(client, args.paths, args.force)
        if job.state != "succeeded":
            print(f"binsight: ingest {job.state}: {job.error}", file=sys.stderr)
            return 1
        # Online assignment sends a shot unlike every bin so far to noise; the batch pass groups
        # those into bins (keeping every bin the editor has touched).
        render.recluster(client.recluster())
        out = args.out.resolve()
        failed = []
        for fmt in formats:
            try:
                files = client.export(fmt, include_noise=True, project="bins")
                write_locally(out, files)
            except (BinsightError, OSError) as exc:
                failed.append(fmt)
                print(f"{fmt:9} FAILED: {exc}", file=sys.stderr)
                continue
            print(f"{fmt:9} " + ", ".join(f.name for f in files))
            for warning in files.warnings:
                print(f"          warning: {warning}", file=sys.stderr)
        render.tree(client.list_clusters(include_shots=True))
        print(f"bins written to {out}")
        if args.open:
            opened = read_card(config.data_dir)
            if opened is not None and opened.page_url:  # a server that goes on serving
                webbrowser.open(opened.page_url)
                print(f"opened {opened.page_url}", file=sys.stderr)
    if args.open and (read_card(config.data_dir) is None or not read_card(config.data_dir).page_url):
        return open_page(args, config) or (1 if failed else 0)
    if failed:
        print(f"binsight: {len(failed)} of {len(formats)} formats failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def ingest(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        allow(client, args.paths, config)
        if args.detach:
            print(client.start_ingest(args.paths, recursive=not args.no_recursive, force=args.force).job_id)
            return 0
        job = follow(client, args.paths, args.force, recursive=not args.no_recursive)
    return 0 if job.state == "succeeded" else 1


def clusters(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        render.tree(client.list_clusters(include_shots=True))
    return 0


def status(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        render.status(client.status())
    return 0


def jobs(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        for job in client.list_jobs():
            print(f"{job.job_id}  {job.kind:7} {job.state:9} files {job.files_done}/{job.files_total}  "
                  f"shots {job.shots_found}  {job.created_at}  {job.error}")
    return 0


def cancel(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        print(client.cancel_job(args.job_id).state)
    return 0


def recluster(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        render.recluster(client.recluster())
    return 0


def reembed(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        job = client.reembed()
        for _ in client.watch_job(job.job_id):
            pass
        job = client.get_job(job.job_id)
    print(f"re-embedded {len(job.files)} file(s): {job.state}")
    return 0 if job.state == "succeeded" else 1


def review(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        for item in client.review_queue(args.limit):
            cands = ", ".join(f"{c.cluster_id} {c.score:.2f}" for c in item.shot.candidates)
            print(f"{item.shot.shot_id}  margin={item.margin:.3f}  in={item.shot.cluster_id or 'noise'}  {cands}")
    return 0


def export(args: argparse.Namespace, config: Config) -> int:
    options = dict(o.split("=", 1) for o in args.option)
    with connect(config) as client:
        files = client.export(args.format, cluster_ids=args.cluster, include_noise=not args.no_noise, options=options)
    for path in write_locally(args.out.resolve(), files):
        print(path)
    for warning in files.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def search(args: argparse.Namespace, config: Config) -> int:
    if args.export and args.out is None:
        raise LocalError("--export needs --out DIR")
    if args.image is not None and not args.image.is_file():
        raise LocalError(f"{args.image}: no such file")
    image = args.image.read_bytes() if args.image is not None else b""
    filters = t.SearchFilters(media_ids=args.media, cluster_ids=args.bin, reels=args.reel, faces_only=args.faces)
    with connect(config) as client:
        result = client.search(text=args.text, shot_id=args.like, keyframe_id=args.keyframe, image=image,
                               person=args.person, filters=filters, limit=args.limit, min_score=args.min_score)
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        render.search(result)
        shot_ids = [h.shot.shot_id for h in result.hits]
        name = args.make_bin or f"Search: {args.text or args.person or args.like or args.keyframe or 'picture'}"
        if args.make_bin and shot_ids:
            render.feedback(client.create_bin(shot_ids, name=args.make_bin))
        if args.export and shot_ids:
            files = client.export(args.export, shot_ids=shot_ids, bin_name=name)
            for path in write_locally(args.out.resolve(), files):
                print(path)
            for warning in files.warnings:
                print(f"warning: {warning}", file=sys.stderr)
    return 0


def undo(args: argparse.Namespace, config: Config) -> int:
    with connect(config, actor=args.actor) as client:
        render.feedback(client.undo(args.feedback_id), "undid")
    return 0


def redo(args: argparse.Namespace, config: Config) -> int:
    with connect(config, actor=args.actor) as client:
        render.feedback(client.redo(args.feedback_id), "redid")
    return 0


def feedback_list(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        for event in client.list_feedback():
            print(f"{event.created_at[:19]}  {event.actor:12} {event.action:16} {event.subject_id}  "
                  f"{event.from_id or '-'} → {event.to_id or '-'}  {event.state}  {event.feedback_id}")
    return 0


def feedback_export(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        data = client.export_training_data()
    if args.out:
        args.out.write_bytes(data)
        print(f"{len(data.splitlines())} triplets written to {args.out}")
    else:
        sys.stdout.write(data.decode())
    return 0


def feedback_train(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        r = client.train_adapter()
    print(f"adapter {r.version or '-'}: held-out triplet accuracy {r.validation_before:.3f} → "
          f"{r.validation_after:.3f} ({r.triplets_train} train / {r.triplets_validation} held out); "
          f"{'activated' if r.activated else 'not activated'}. {r.message}")
    return 0


def feedback_adapters(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        for a in client.list_adapters():
            print(f"{a.version}  {'active' if a.active else '      '}  {a.validation_before:.3f} → "
                  f"{a.validation_after:.3f}  {a.created_at}")
    return 0


def feedback_activate(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        r = client.activate_adapter(args.version)
    print(f"active adapter: {r.active_version or 'none'}")
    return 0



def resolve(args: argparse.Namespace, config: Config) -> int:
    """`binsight resolve install|doctor [...]`: the panel's installer, run in this environment."""
    from binsight_panels.resolve.install import main as resolve_main

    argv = list(args.resolve_args)
    if argv[:1] == ["doctor"] and "--address" not in argv:
        argv += ["--address", config.address]
    return resolve_main(argv)


def roots_list(args: argparse.Namespace, config: Config) -> int:
    roots = Access(config.data_dir).roots()
    if not roots:
        print("no media roots: the server reads no footage (binsight roots add FOLDER)")
    for r in roots:
        print(f"{r.path}  (added {r.added_at[:19]} by {r.added_by})")
    return 0


def roots_add(args: argparse.Namespace, config: Config) -> int:
    for folder in args.folders:
        print(f"media root: {Access(config.data_dir).add_root(folder, getpass.getuser()).path}")
    return 0


def roots_remove(args: argparse.Namespace, config: Config) -> int:
    for folder in args.folders:
        Access(config.data_dir).remove_root(folder)
        print(f"removed: {folder} (already ingested files stay; new ingests from there are refused)")
    return 0


def tokens_add(args: argparse.Namespace, config: Config) -> int:
    secret = Access(config.data_dir).add_token(args.name, TokenScope(args.scope))
    print(secret)
    print(f"token {args.name!r} ({args.scope}): shown once; give it to {args.name} through a file "
          f"(BINSIGHT_TOKEN_FILE) or BINSIGHT_TOKEN", file=sys.stderr)
    return 0


def tokens_list(args: argparse.Namespace, config: Config) -> int:
    for token in Access(config.data_dir).tokens():
        state = f"revoked {token.revoked_at[:19]}" if token.revoked_at else "valid"
        print(f"{token.name:24} {token.scope:6} created {token.created_at[:19]}  {state}")
    return 0


def tokens_revoke(args: argparse.Namespace, config: Config) -> int:
    Access(config.data_dir).revoke_token(args.name)
    print(f"revoked {args.name}")
    return 0


def slates(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        found = client.list_slates(unsure_only=args.unsure)
    if args.unsure or args.all:
        for slate in found.slates:
            render.slate(slate)
        if not found.slates:
            print("no slates to check" if args.unsure else "no slates read")
        return 0
    render.scene_tree(found.scenes)
    unsure = sum(1 for s in found.slates if s.unsure)
    if unsure:
        print(f"{unsure} slate(s) unsure: binsight slates --unsure, then binsight slate CLIP --scene … --take …")
    return 0


SLATE_FLAGS = ("scene", "take", "roll", "camera", "slate_number", "production", "director", "date", "timecode")


def slate(args: argparse.Namespace, config: Config) -> int:
    fields = {name: getattr(args, name) for name in SLATE_FLAGS if getattr(args, name)}
    if bool(fields) == bool(args.none):
        print("error: give the slate's fields (--scene 12A --take 3 …) or --none", file=sys.stderr)
        return 2
    with connect(config, actor=args.actor) as client:
        by_path = {str(Path(m.path).resolve()): m.media_id for m in client.list_media()}
        media_id = by_path.get(str(Path(args.clip).expanduser().resolve()), args.clip)
        render.feedback(client.correct_slate(media_id, fields), "slate set:")
    return 0


def compare(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
        allow(client, [p for p in (args.a, args.b) if Path(p).exists()], config)
        result = client.compare(args.a, args.b, report_format=args.format if args.format != "table" else "",
                                match_threshold=args.match_threshold, changed_structure=args.changed_structure,
                                changed_colour=args.changed_colour, timeout=3600)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.format == "table":
        render.comparison(result)
    elif args.out:
        args.out.write_bytes(result.report)
        print(f"{len(result.differences)} difference(s) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(result.report.decode())
    return 0
