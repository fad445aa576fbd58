"""The ``binsight`` command.

    binsight serve                       # gRPC on 127.0.0.1:50051 and the review page on 127.0.0.1:8765
    binsight open                        # the review page in the browser (serving it if needed)
    binsight run FOOTAGE... --out DIR    # ingest, cluster, write bins.json, bins.otio and every NLE format
    binsight ingest PATH...              # files or folders, progress per file
    binsight clusters | status | jobs | review | recluster | reembed
    binsight undo | redo                 # the last correction (yours), or one by id
    binsight export --format fcpxml --out DIR
    binsight compare CUT_V1.mov CUT_V2.mov [--format table|json|csv|edl|otio]
    binsight feedback list | export --out triplets.jsonl | train | adapters | activate VERSION
    binsight models list | pull NAME | export-clip ... | import DIR | verify
    binsight roots add|list|remove       # the folders the server may read footage from
    binsight tokens add NAME --scope read|write|admin | list | revoke NAME
    binsight resolve install | doctor    # the DaVinci Resolve Studio panel

Global flags (``--address``, ``--data-dir``, ``--config``, ``--log-level``, ``--log-format``) go
before or after the command. Every command works with no server running (see ``connect``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from binsight_client import BinsightError

from ..config import DEFAULT_ADDRESS, Config, load_config
from ..errors import BinsightError as CoreError  # the core's errors (serve, models); the SDK's are gRPC's
from ..log import setup_logging
from . import commands

Handler = Callable[[argparse.Namespace, Config], int]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    flags, _ = _global_flags().parse_known_args(argv)
    try:
        config = load_config(flags.config, {"data_dir": flags.data_dir, "address": flags.address,
                                            "store_uri": flags.store_uri,
                                            "log_level": flags.log_level, "log_format": flags.log_format})
    except (ValueError, FileNotFoundError) as exc:
        print(f"binsight: {exc}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    setup_logging(config.log_level, config.log_format)
    if args.command == "models":
        args.models_dir = args.models_dir or config.models_path
        return args.func(args)
    try:
        return args.handler(args, config)
    except (BinsightError, CoreError) as exc:
        print(f"binsight: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _global_flags(suppress: bool = False) -> argparse.ArgumentParser:
    """The flags every command takes. Under a command they default to "not given" (SUPPRESS), so
    they may stand after it without hiding a value given before it."""
    parser = argparse.ArgumentParser(add_help=False)
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--address", help=f"server address (default {DEFAULT_ADDRESS}; env BINSIGHT_ADDRESS)",
                        **default)
    parser.add_argument("--data-dir", type=Path, help="where the project lives (env BINSIGHT_DATA_DIR)", **default)
    parser.add_argument("--store-uri", help="the library: a folder or s3://bucket/prefix (env BINSIGHT_STORE_URI)",
                        **default)
    parser.add_argument("--config", type=Path, help="TOML config file (env BINSIGHT_CONFIG)", **default)
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (env BINSIGHT_LOG_LEVEL)", **default)
    parser.add_argument("--log-format", choices=("auto", "human", "json"),
                        help="auto (default): short lines on a terminal, JSON otherwise", **default)
    return parser


def _parser() -> argparse.ArgumentParser:
    shared = _global_flags(suppress=True)
    parser = argparse.ArgumentParser(prog="binsight", parents=[_global_flags()],
                                     description="Sort footage into scene and character bins.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Handler, help: str, into: argparse._SubParsersAction = sub) -> argparse.ArgumentParser:
        p = into.add_parser(name, help=help, parents=[shared])
        p.set_defaults(handler=handler)
        return p

    serve = command("serve", commands.serve, "run the gRPC server until SIGINT/SIGTERM")
    serve.add_argument("--executor", choices=("local", "ray"), help="where ingest analyses files (default: local)")
    serve.add_argument("--ray-address", help="executor ray: the cluster to join (default: start a local one)")
    serve.add_argument("--ray-workers", type=int, help="executor ray: ingest worker actors (default 2)")
    run = command("run", commands.run, "ingest footage and write bins to a folder (starts a server if needed)")
    run.add_argument("paths", nargs="+")
    run.add_argument("--out", type=Path, required=True, help="folder for bins.json, bins.otio and NLE files")
    run.add_argument("--formats", default=",".join(commands.RUN_FORMATS), help="comma-separated (default: all)")
    run.add_argument("--force", action="store_true", help="re-ingest files even if unchanged")
    run.add_argument("--open", action="store_true", help="then open the review page (serving it if needed)")
    command("open", commands.open_page, "open the review page in the browser (serving it if no server runs)")

    ingest = command("ingest", commands.ingest, "ingest files and folders (recursively)")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--force", action="store_true", help="re-ingest files even if unchanged")
    ingest.add_argument("--no-recursive", action="store_true", help="do not walk sub-folders")
    ingest.add_argument("--detach", action="store_true", help="print the job id and return at once")

    command("clusters", commands.clusters, "the bin tree: scene clusters → shots, noise")
    command("status", commands.status, "server, data dir, models, counts")
    command("jobs", commands.jobs, "ingest jobs and their state")
    command("cancel", commands.cancel, "cancel a job").add_argument("job_id")
    command("recluster", commands.recluster, "recluster the whole project (edited bins stay)")
    command("reembed", commands.reembed, "re-embed stored keyframes with the active models")
    command("review", commands.review, "the shots most worth a look (noise first)").add_argument(
        "--limit", type=int, default=20)
    for name, handler, what in (("undo", commands.undo, "undo a correction (default: your latest)"),
                                ("redo", commands.redo, "apply an undone correction again (default: your latest undo)")):
        p = command(name, handler, what)
        p.add_argument("feedback_id", nargs="?", default="", help="a correction's id (binsight feedback list)")
        p.add_argument("--actor", default=getpass.getuser(), help="whose corrections (default: you)")

    export = command("export", commands.export, "write bins for an NLE")
    export.add_argument("--format", required=True, help="fcpxml, xmeml, edl, ale, otio or bins_json")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    export.add_argument("--no-noise", action="store_true", help="leave the noise bucket out")
    export.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="e.g. fcpxml_version=1.10, fcpxml_layout=keywords, ale_layout=single")

    search = command("search", commands.search, "shots by words, an example shot or picture, a person, with filters")
    search.add_argument("text", nargs="?", default="", help="words (CLIP text search with a CLIP pack)")
    search.add_argument("--like", default="", metavar="SHOT", help="shots like this shot (its id)")
    search.add_argument("--keyframe", default="", metavar="KEYFRAME", help="shots like this keyframe (its id)")
    search.add_argument("--image", type=Path, metavar="FILE", help="shots like this JPEG or PNG")
    search.add_argument("--person", default="", help="@name or a character id")
    search.add_argument("--media", action="append", default=[], metavar="ID", help="only this file (repeatable)")
    search.add_argument("--bin", action="append", default=[], metavar="ID", help="only this bin, or noise (repeatable)")
    search.add_argument("--reel", action="append", default=[], help="only this reel (repeatable)")
    search.add_argument("--faces", action="store_true", help="only shots with faces")
    search.add_argument("--min-score", type=float, default=0.0, help="leave out hits below this score")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--make-bin", default="", metavar="NAME", help="put the hits in a new bin of this name")
    search.add_argument("--export", default="", metavar="FORMAT", help="export the hits as one bin (with --out)")
    search.add_argument("--out", type=Path, help="folder for --export")

    feedback = sub.add_parser("feedback", help="corrections, their training data, the adapter", parents=[shared])
    fsub = feedback.add_subparsers(dest="feedback_command", required=True)
    command("list", commands.feedback_list, "every correction: who, when, what, applied or undone", fsub)
    command("export", commands.feedback_export, "training triplets as JSON Lines", fsub).add_argument(
        "--out", type=Path, help="file to write (default: stdout)")
    command("train", commands.feedback_train, "train an adapter; activated only if validation improves", fsub)
    command("adapters", commands.feedback_adapters, "stored adapter versions", fsub)
    command("activate", commands.feedback_activate, "activate an adapter version ('' for none: rollback)",
            fsub).add_argument("version")

    slates = command("slates", commands.slates, "slates read: scene → setup → take, and reads to check")
    slates.add_argument("--unsure", action="store_true", help="only the reads an editor should check")
    slates.add_argument("--all", action="store_true", help="every clip's read, fields and confidence")
    slate = command("slate", commands.slate, "say what a clip's slate says (wins over every read)")
    slate.add_argument("clip", help="an ingested file's path or media id")
    for name in ("scene", "take", "roll", "camera", "slate-number", "production", "director", "date", "timecode"):
        slate.add_argument(f"--{name}", default="")
    slate.add_argument("--none", action="store_true", help="the clip has no slate")
    slate.add_argument("--actor", default=getpass.getuser(), help="who made the correction (default: you)")

    cmp = command("compare", commands.compare, "what changed between two versions of a cut (two video files)")
    cmp.add_argument("a", help="version A: a video file (or an ingested media id)")
    cmp.add_argument("b", help="version B")
    cmp.add_argument("--format", choices=("table", "json", "csv", "edl", "otio"), default="table")
    cmp.add_argument("--out", type=Path, help="write the report here (default: stdout)")
    for name, default in (("match-threshold", 0.4), ("changed-structure", 0.03), ("changed-colour", 0.008)):
        cmp.add_argument(f"--{name}", type=float, default=0.0, help=f"(default {default})")

    roots = sub.add_parser("roots", help="the folders this server may read footage from", parents=[shared])
    rsub = roots.add_subparsers(dest="roots_command", required=True)
    command("list", commands.roots_list, "media roots", rsub)
    command("add", commands.roots_add, "allow footage under these folders", rsub).add_argument("folders", nargs="+")
    command("remove", commands.roots_remove, "stop reading new footage from these folders", rsub).add_argument(
        "folders", nargs="+")
    tokens = sub.add_parser("tokens", help="API tokens (needed beyond loopback)", parents=[shared])
    tsub = tokens.add_subparsers(dest="tokens_command", required=True)
    tadd = command("add", commands.tokens_add, "a new token; its secret is printed once", tsub)
    tadd.add_argument("name", help="the editor's name on every correction made with it")
    tadd.add_argument("--scope", choices=("read", "write", "admin"), default="write")
    command("list", commands.tokens_list, "tokens by name and scope (never their secrets)", tsub)
    command("revoke", commands.tokens_revoke, "refuse a token from now on", tsub).add_argument("name")

    resolve = sub.add_parser("resolve", add_help=False,
                             help="install the DaVinci Resolve Studio panel (install) or check its set-up (doctor)")
    resolve.add_argument("resolve_args", nargs=argparse.REMAINDER)
    resolve.set_defaults(handler=commands.resolve)

    from ..models.cli import register  # the models commands need no server
    register(sub, None, parents=[shared])
    return parser


if __name__ == "__main__":
    sys.exit(main())
