"""Regenerates the committed Python code for the Binsight API from ``proto/binsight/v1``.

    python proto/generate.py            # rewrite client_sdk/binsight_api/v1
    python proto/generate.py --out DIR  # write elsewhere (the drift test compares the two)

protoc writes absolute imports (``from binsight.v1 import common_pb2``), which would collide with
the server package ``binsight``; the generated modules are rewritten to import each other
relatively, so the API package ``binsight_api`` stands alone beside the SDK.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
PACKAGE_DIR = ROOT / "client_sdk" / "binsight_api" / "v1"
_ABSOLUTE_IMPORT = re.compile(r"^from binsight\.v1 import (\w+)", re.MULTILINE)


def generate(out_dir: Path) -> list[Path]:
    """Compile every .proto under proto/binsight/v1 into ``out_dir``; return the files written."""
    from grpc_tools import protoc  # dev-only dependency (test extra)
    import grpc_tools

    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "binsight" / "v1").glob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = ["protoc", f"-I{PROTO_ROOT}", f"-I{include}", f"--python_out={tmp}", f"--pyi_out={tmp}",
                f"--grpc_python_out={tmp}", *protos]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed: {' '.join(args)}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for src in sorted((Path(tmp) / "binsight" / "v1").iterdir()):
            text = _ABSOLUTE_IMPORT.sub(r"from . import \1", src.read_text())
            dst = out_dir / src.name
            dst.write_text(text)
            written.append(dst)
    init = out_dir / "__init__.py"
    init.write_text('"""Generated gRPC/protobuf code for binsight.v1 (proto/generate.py). Do not edit."""\n')
    return [init, *written]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR)
    args = parser.parse_args(argv)
    if args.out == PACKAGE_DIR and PACKAGE_DIR.exists():
        shutil.rmtree(PACKAGE_DIR)
    for path in generate(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
