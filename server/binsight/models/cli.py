"""``binsight models …``: list, pull, export-clip, import and verify model packs.

The main ``binsight`` CLI hooks this in with :func:`register`, passing the models directory its
configuration resolved; ``--models-dir`` overrides it per command. ``python -m
binsight.models.cli`` runs the same commands on their own (models dir from ``--models-dir``,
default ``<user data dir>/binsight/models``), which is how the export environment runs
``export-clip`` without the server's dependencies being configured.

Exit status: 0 on success, 1 when a pack fails verification or a command cannot do its job (the
message says why and what to do), 2 for usage errors (argparse).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from ..errors import BinsightError
from .manager import STANDARD_PACKS, ModelManager


def register(subparsers: Any, models_dir: Path | None, echo: Callable[[str], None] = print,
             parents: list[argparse.ArgumentParser] | None = None) -> argparse.ArgumentParser:
    """Add the ``models`` command to ``subparsers`` (from ``ArgumentParser.add_subparsers()``).
    ``models_dir`` None: the caller fills ``args.models_dir`` in from its configuration.

    Each leaf sets ``func``: call ``args.func(args)`` and exit with the int it returns.
    """
    models = subparsers.add_parser("models", help="list, pull, export, import and verify model packs",
                                   parents=parents or [])
    models.add_argument("--models-dir", type=Path, default=models_dir,
                        help=f"where packs live (default: {models_dir or '<data dir>/models'})")
    commands = models.add_subparsers(dest="models_command", required=True)

    commands.add_parser("list", help="installed packs with kind, family and licence").set_defaults(
        func=lambda args: _list(_manager(args, echo), echo))

    pull = commands.add_parser("pull", help="download a standard pack: " + ", ".join(STANDARD_PACKS))
    pull.add_argument("name", choices=sorted(STANDARD_PACKS))
    pull.add_argument("--timeout", type=float, default=10.0, help="network timeout in seconds")
    pull.set_defaults(func=lambda args: _run(echo, lambda: _manager(args, echo).pull(args.name, args.timeout)))

    export = commands.add_parser(
        "export-clip", help="export an open_clip model to ONNX (needs the export environment)")
    export.add_argument("--model", required=True, help="open_clip architecture, e.g. ViT-B-32")
    export.add_argument("--pretrained", required=True,
                        help="weights: an open_clip tag (laion2b_s34b_b79k), a checkpoint file, "
                             "or 'none' for random weights (tests)")
    export.add_argument("--out", type=Path,
                        help="write the pack here instead of installing it into the models dir")
    export.set_defaults(func=lambda args: _run(echo, lambda: _manager(args, echo).export_clip(
        args.model, None if args.pretrained.lower() == "none" else args.pretrained, args.out)))

    imp = commands.add_parser("import", help="install a pack directory or zip")
    imp.add_argument("path", type=Path)
    imp.set_defaults(func=lambda args: _run(echo, lambda: _manager(args, echo).import_pack(args.path)))

    verify = commands.add_parser("verify", help="check every pack's files against its checksums")
    verify.add_argument("name", nargs="?", help="one pack (default: all)")
    verify.set_defaults(func=lambda args: _verify(_manager(args, echo), args.name, echo))
    return models


def _manager(args: argparse.Namespace, echo: Callable[[str], None]) -> ModelManager:
    return ModelManager(args.models_dir, echo=echo)


def _run(echo: Callable[[str], None], action: Callable[[], Any]) -> int:
    try:
        manifest = action()
    except BinsightError as exc:
        echo(f"error: {exc}")
        return 1
    echo(f"ready: {manifest.name} ({manifest.model_id}, licence: {manifest.license})")
    return 0


def _list(manager: ModelManager, echo: Callable[[str], None]) -> int:
    packs = manager.list()
    if not packs:
        echo(f"no model packs in {manager.models_dir}")
    for pack in packs:
        m = pack.manifest
        where = "built-in" if pack.builtin else str(pack.path)
        echo(f"{m.name:32} {m.kind:5} {m.family:11} {m.model_id:40} licence: {m.license}  [{where}]")
    return 0


def _verify(manager: ModelManager, name: str | None, echo: Callable[[str], None]) -> int:
    try:
        results = manager.verify(name)
    except BinsightError as exc:
        echo(f"error: {exc}")
        return 1
    for pack_name, problems in results.items():
        echo(f"OK      {pack_name}" if not problems else f"FAILED  {pack_name}: {'; '.join(problems)}")
    return 1 if any(results.values()) else 0


def main(argv: list[str] | None = None) -> int:
    import platformdirs

    parser = argparse.ArgumentParser(prog="binsight")
    register(parser.add_subparsers(dest="command", required=True),
             Path(platformdirs.user_data_dir("binsight")) / "models")
    args = parser.parse_args(["models", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
