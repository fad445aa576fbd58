"""The SDK runs inside DaVinci Resolve's Python: it must import with only grpcio and protobuf,
never reach into the server package, and keep to Python 3.8 syntax."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_BLOCKED = ["binsight", "numpy", "cv2", "lancedb", "pyarrow", "av", "onnxruntime", "opentimelineio", "lxml",
            "dlib", "insightface", "binsight_panels"]

_SCRIPT = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {_BLOCKED!r}:
            raise ImportError("the SDK must not import " + name)
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, {str(ROOT / "client_sdk")!r})
import binsight_client
from binsight_client import Client, Unavailable
client = Client("127.0.0.1:1", timeout=2)
try:
    client.status()
except Unavailable as exc:
    print("unavailable:", exc.message)
else:
    raise SystemExit("expected Unavailable")
"""


def test_sdk_imports_with_grpc_and_protobuf_only() -> None:
    result = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("unavailable:")


def test_sdk_source_is_python38_syntax() -> None:
    for path in (ROOT / "client_sdk").rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path), feature_version=(3, 8))
