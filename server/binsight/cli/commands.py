"""The commands. Every one but ``serve`` and ``models`` goes through the client SDK, as a Resolve
panel does, to the server ``connect`` finds (or starts)."""

from __future__ import annotations

import argparse
import sys

from binsight_client import BinsightError, Client
from binsight_client import types as t

from ..config import Config
from . import render
from .connect import connect

RUN_FORMATS = ("bins_json", "otio", "fcpxml", "xmeml", "edl", "ale")


def serve(args: argparse.Namespace, config: Config) -> int:
    from ..service.server import BinsightServer

    server = BinsightServer(config).start()
    print(f"binsight serving on {server.address} (data: {config.data_dir}); Ctrl-C stops it", file=sys.stderr)
    server.wait()
    return 0


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
        job = follow(client, args.paths, args.force)
        if job.state != "succeeded":
            print(f"binsight: ingest {job.state}: {job.error}", file=sys.stderr)
            return 1
        # Online assignment sends a shot unlike every bin so far to noise; the batch pass groups
        # those into bins (keeping every bin the editor has touched).
        render.recluster(client.recluster())
        args.out.mkdir(parents=True, exist_ok=True)
        out = str(args.out.resolve())
        failed = []
        for fmt in formats:
            try:
                files = client.export(fmt, out_dir=out, include_noise=True, project="bins")
            except BinsightError as exc:
                failed.append(fmt)
                print(f"{fmt:9} FAILED: {exc}", file=sys.stderr)
                continue
            print(f"{fmt:9} " + ", ".join(f.name for f in files))
            for warning in files.warnings:
                print(f"          warning: {warning}", file=sys.stderr)
        render.tree(client.list_clusters(include_shots=True))
        print(f"bins written to {out}")
    if failed:
        print(f"binsight: {len(failed)} of {len(formats)} formats failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def ingest(args: argparse.Namespace, config: Config) -> int:
    with connect(config) as client:
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
        files = client.export(args.format, out_dir=str(args.out.resolve()), cluster_ids=args.cluster,
                              include_noise=not args.no_noise, options=options)
    for f in files:
        print(f.path)
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
