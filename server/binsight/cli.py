"""The ``binsight`` command. Everything but ``serve`` and ``models`` talks to a server through the
client SDK, exactly as a Resolve panel does; ``run`` starts an embedded server when none answers.

    binsight serve                       # a server on 127.0.0.1:50051 over the default data dir
    binsight run FOOTAGE... --out DIR    # ingest, cluster, write bins.json, bins.otio and every NLE format
    binsight ingest PATH...              # files or folders, progress per file
    binsight clusters | status | jobs | review | recluster | reembed
    binsight export --format fcpxml --out DIR
    binsight feedback export --out triplets.jsonl | feedback train | feedback adapters
    binsight models list | pull NAME | export-clip ... | import DIR | verify
"""

from __future__ import annotations

import argparse
import dataclasses
import contextlib
import sys
from pathlib import Path
from typing import Any, Iterator

from binsight_client import BinsightError, Client, Unavailable
from binsight_client import types as t

from .config import DEFAULT_ADDRESS, Config, load_config
from .errors import BinsightError as CoreError
from .log import setup_logging

RUN_FORMATS = ("bins_json", "otio", "fcpxml", "xmeml", "edl", "ale")


def main(argv: list[str] | None = None) -> int:
    globals_only, _ = _global_flags().parse_known_args(argv)
    try:
        config = load_config(globals_only.config, {"data_dir": globals_only.data_dir,
                                                   "address": globals_only.address,
                                                   "log_level": globals_only.log_level})
    except (ValueError, FileNotFoundError) as exc:
        print(f"binsight: {exc}", file=sys.stderr)
        return 2
    args = _parser(config).parse_args(argv)
    setup_logging(config.log_level)
    if args.command == "models":
        return args.func(args)
    try:
        return args.handler(args, config)
    except (BinsightError, CoreError) as exc:  # from the server (SDK) or, for serve/run, the core
        print(f"binsight: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _global_flags(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(add_help=False)
    parser.add_argument("--address", help=f"server address (default {DEFAULT_ADDRESS}; env BINSIGHT_ADDRESS)")
    parser.add_argument("--data-dir", type=Path, help="where the project lives (env BINSIGHT_DATA_DIR)")
    parser.add_argument("--config", type=Path, help="TOML config file (env BINSIGHT_CONFIG)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (env BINSIGHT_LOG_LEVEL)")
    return parser


def _parser(config: Config) -> argparse.ArgumentParser:
    parser = _global_flags(argparse.ArgumentParser(
        prog="binsight", description="Sort footage into scene and character bins."))
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="run the gRPC server until SIGINT/SIGTERM").set_defaults(handler=_serve)

    run = sub.add_parser("run", help="ingest footage and write bins to a folder (starts a server if needed)")
    run.add_argument("paths", nargs="+")
    run.add_argument("--out", type=Path, required=True, help="folder for bins.json, bins.otio and NLE files")
    run.add_argument("--formats", default=",".join(RUN_FORMATS), help="comma-separated (default: all)")
    run.add_argument("--force", action="store_true", help="re-ingest files even if unchanged")
    run.set_defaults(handler=_run)

    ingest = sub.add_parser("ingest", help="ingest files and folders (recursively)")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--force", action="store_true", help="re-ingest files even if unchanged")
    ingest.add_argument("--no-recursive", action="store_true", help="do not walk sub-folders")
    ingest.add_argument("--detach", action="store_true", help="print the job id and return at once")
    ingest.set_defaults(handler=_ingest)

    sub.add_parser("clusters", help="the bin tree: scene clusters → shots, noise").set_defaults(handler=_clusters)
    sub.add_parser("status", help="server, data dir, models, counts").set_defaults(handler=_status)
    sub.add_parser("jobs", help="ingest jobs and their state").set_defaults(handler=_jobs)
    cancel = sub.add_parser("cancel", help="cancel a job")
    cancel.add_argument("job_id")
    cancel.set_defaults(handler=_cancel)
    sub.add_parser("recluster", help="recluster the whole project (edited bins stay)").set_defaults(
        handler=_recluster)
    sub.add_parser("reembed", help="re-embed stored keyframes with the active models").set_defaults(
        handler=_reembed)
    review = sub.add_parser("review", help="the shots most worth a look (noise first)")
    review.add_argument("--limit", type=int, default=20)
    review.set_defaults(handler=_review)

    export = sub.add_parser("export", help="write bins for an NLE")
    export.add_argument("--format", required=True, help="fcpxml, xmeml, edl, ale, otio or bins_json")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    export.add_argument("--no-noise", action="store_true", help="leave the noise bucket out")
    export.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="e.g. fcpxml_version=1.10, fcpxml_layout=keywords, ale_layout=single")
    export.set_defaults(handler=_export)

    feedback = sub.add_parser("feedback", help="corrections as training data; the adapter")
    fsub = feedback.add_subparsers(dest="feedback_command", required=True)
    fexport = fsub.add_parser("export", help="training triplets as JSON Lines")
    fexport.add_argument("--out", type=Path, help="file to write (default: stdout)")
    fexport.set_defaults(handler=_feedback_export)
    fsub.add_parser("train", help="train an adapter; activated only if validation improves").set_defaults(
        handler=_feedback_train)
    fsub.add_parser("adapters", help="stored adapter versions").set_defaults(handler=_feedback_adapters)
    activate = fsub.add_parser("activate", help="activate an adapter version ('' for none: rollback)")
    activate.add_argument("version")
    activate.set_defaults(handler=_feedback_activate)

    from .models.cli import register  # the models commands need no server
    register(sub, config.models_path)
    return parser


# ----------------------------------------------------------------------------------------------
# server lifetime
# ----------------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace, config: Config) -> int:
    from .service.server import BinsightServer
    server = BinsightServer(config).start()
    print(f"binsight serving on {server.address} (data: {config.data_dir}); Ctrl-C stops it", file=sys.stderr)
    server.wait()
    return 0


@contextlib.contextmanager
def _client(config: Config, embedded: bool = False) -> Iterator[Client]:
    """A client to the configured server; with ``embedded``, start one in-process (on a free
    loopback port, over the configured data dir) when none answers."""
    client = Client(config.address, timeout=120)
    try:
        client.wait_ready(timeout=1.5)
    except Unavailable:
        client.close()
        if not embedded:
            raise
        from .service.server import BinsightServer
        print(f"no server at {config.address}: starting one over {config.data_dir}", file=sys.stderr)
        embedded_config = dataclasses.replace(config, address="127.0.0.1:0")
        server = BinsightServer(embedded_config).start()
        client = Client(server.address, timeout=300)
        try:
            yield client
        finally:
            client.close()
            server.stop()
        return
    try:
        yield client
    finally:
        client.close()


# ----------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------
def _follow(client: Client, paths: list[str], force: bool, recursive: bool = True) -> t.Job:
    """Start an ingest and draw a progress bar per file until it ends."""
    from tqdm import tqdm

    job = client.start_ingest(paths, recursive=recursive, force=force)
    bars: dict[str, Any] = {}
    for event in client.watch_job(job.job_id):
        if not event.file:
            continue
        bar = bars.get(event.file)
        if bar is None:
            bar = bars[event.file] = tqdm(desc=Path(event.file).name, unit="frame", leave=True,
                                          dynamic_ncols=True, file=sys.stderr)
        if event.stage == "detect" and event.frames_total:
            bar.total = event.frames_total
            bar.n = event.frames_done
        bar.set_postfix_str(event.message if event.stage == "done" else event.stage, refresh=True)
        if event.stage == "done":
            bar.close()
    job = client.get_job(job.job_id)
    for f in job.files:
        line = f"{f.status:9} {f.path}  shots={f.shots} faces={f.faces}"
        if f.message:
            line += f"  ({f.message})"
        print(line)
        for warning in f.warnings:
            print(f"          warning: {warning}")
    return job


def _run(args: argparse.Namespace, config: Config) -> int:
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    with _client(config, embedded=True) as client:
        job = _follow(client, args.paths, args.force)
        if job.state != "succeeded":
            print(f"binsight: ingest {job.state}: {job.error}", file=sys.stderr)
            return 1
        # Online assignment sends a shot unlike every bin so far to noise; the batch pass groups
        # those into bins (keeping every bin the editor has touched).
        _print_recluster(client.recluster())
        args.out.mkdir(parents=True, exist_ok=True)
        out = str(args.out.resolve())
        for fmt in formats:
            files = client.export(fmt, out_dir=out, include_noise=True, project="bins")
            print(f"{fmt:9} " + ", ".join(f.name for f in files))
        _print_tree(client.list_clusters(include_shots=True))
        print(f"bins written to {out}")
    return 0


def _ingest(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        if args.detach:
            print(client.start_ingest(args.paths, recursive=not args.no_recursive, force=args.force).job_id)
            return 0
        job = _follow(client, args.paths, args.force, recursive=not args.no_recursive)
    return 0 if job.state == "succeeded" else 1


def _print_tree(tree: t.ClusterTree) -> None:
    for cluster in tree.clusters:
        flags = "".join([" [locked]" if cluster.locked else ""])
        print(f"{cluster.name}  ({cluster.shot_count} shots){flags}")
        for shot in cluster.shots:
            print(f"  {_shot_line(shot)}")
        for child in cluster.children:
            print(f"  └ {child.name}: {child.shot_count} shots")
    noise = tree.noise
    if noise is not None:
        print(f"Noise  ({noise.shot_count} shots)")
        for shot in noise.shots:
            cands = ", ".join(f"{c.name or c.cluster_id} {c.score:.2f}" for c in shot.candidates)
            print(f"  {_shot_line(shot)}  candidates: {cands or '-'}")


def _shot_line(shot: t.Shot) -> str:
    faces = f" faces={shot.face_count}" if shot.face_count else ""
    return (f"{Path(shot.media_path).name} #{shot.index + 1}  {shot.source_in}-{shot.source_out}"
            f"  score={shot.score:.2f}{faces}")


def _clusters(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        _print_tree(client.list_clusters(include_shots=True))
    return 0


def _status(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        s = client.status()
    print(f"binsight {s.version} at {s.address}  (schema {s.schema_version})")
    print(f"data dir      {s.data_dir}")
    if s.scene_model:
        print(f"scene model   {s.scene_model.model_id}  [{s.scene_model.provider}]  {s.scene_model.license}")
    face = s.face_model
    print(f"face model    {face.model_id + '  [' + face.provider + ']  ' + face.license if face and face.model_id else 'off'}")
    print(f"media {s.media_count}  shots {s.shot_count}  clusters {s.cluster_count}  noise {s.noise_count}  "
          f"faces {s.face_count}  characters {s.character_count}")
    print(f"adapter       {s.active_adapter or 'none'}")
    for note in s.notes:
        print(f"note: {note}")
    return 0


def _jobs(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        for job in client.list_jobs():
            print(f"{job.job_id}  {job.kind:7} {job.state:9} files {job.files_done}/{job.files_total}  "
                  f"shots {job.shots_found}  {job.created_at}  {job.error}")
    return 0


def _cancel(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        print(client.cancel_job(args.job_id).state)
    return 0


def _recluster(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        _print_recluster(client.recluster())
    return 0


def _print_recluster(r: t.ReclusterReport) -> None:
    print(f"{r.shots_total} shots: {r.shots_moved} moved, clusters {r.clusters_before} → {r.clusters_after} "
          f"({r.clusters_created} new, {r.clusters_merged} merged), noise {r.noise_before} → {r.noise_after}, "
          f"{r.seconds:.2f} s")


def _reembed(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        job = client.reembed()
        for _ in client.watch_job(job.job_id):
            pass
        job = client.get_job(job.job_id)
    print(f"re-embedded {len(job.files)} file(s): {job.state}")
    return 0 if job.state == "succeeded" else 1


def _review(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        for item in client.review_queue(args.limit):
            cands = ", ".join(f"{c.cluster_id} {c.score:.2f}" for c in item.shot.candidates)
            print(f"{item.shot.shot_id}  margin={item.margin:.3f}  in={item.shot.cluster_id or 'noise'}  {cands}")
    return 0


def _export(args: argparse.Namespace, config: Config) -> int:
    options = dict(o.split("=", 1) for o in args.option)
    with _client(config) as client:
        files = client.export(args.format, out_dir=str(args.out.resolve()), cluster_ids=args.cluster,
                              include_noise=not args.no_noise, options=options)
    for f in files:
        print(f.path)
    return 0


def _feedback_export(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        data = client.export_training_data()
    if args.out:
        args.out.write_bytes(data)
        count = data.count(b"\n")
        print(f"{count} triplets written to {args.out}")
    else:
        sys.stdout.write(data.decode())
    return 0


def _feedback_train(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        r = client.train_adapter()
    print(f"adapter {r.version or '-'}: held-out triplet accuracy {r.validation_before:.3f} → "
          f"{r.validation_after:.3f} ({r.triplets_train} train / {r.triplets_validation} held out); "
          f"{'activated' if r.activated else 'not activated'}. {r.message}")
    return 0


def _feedback_adapters(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        for a in client.list_adapters():
            print(f"{a.version}  {'active' if a.active else '      '}  {a.validation_before:.3f} → "
                  f"{a.validation_after:.3f}  {a.created_at}")
    return 0


def _feedback_activate(args: argparse.Namespace, config: Config) -> int:
    with _client(config) as client:
        r = client.activate_adapter(args.version)
    print(f"active adapter: {r.active_version or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
