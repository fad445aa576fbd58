"""Model-pack manifests: what a pack is, what it needs, and checksums that prove it is intact.

A *pack* is a directory holding model files plus ``manifest.json``::

    {
      "name": "clip-vit-b-32-laion2b_s34b_b79k",   # directory name under the models dir
      "version": "1",
      "kind": "scene",                              # scene | face
      "family": "clip",                             # clip | dlib | insightface | sface
      "model_id": "clip:ViT-B-32:laion2b_s34b_b79k",# embedding-space identity stored with vectors
      "dim": 512,
      "preprocessing": {"image_size": 224, "resize_mode": "shortest",
                        "interpolation": "bicubic", "mean": [...], "std": [...]},
      "files": {"image.onnx": {"sha256": "…", "size": 351465431}, …},
      "license": "MIT (code); weights: see source",
      "source": "open_clip ViT-B-32 pretrained=laion2b_s34b_b79k",
      "extra": {"context_length": 77, "tokenizer_clean": "lower", …}
    }

Checksums are what ``binsight models verify`` and ``import`` check, so a truncated download or
an edited file is refused with the file named, instead of failing later inside ONNX Runtime.
Sizes are checked on every load (cheap); hashes on ``verify``/``import`` (a full read).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidInput

MANIFEST_NAME = "manifest.json"
# The files of a CLIP pack (written by models.export_clip, read by embedders.clip).
IMAGE_FILE = "image.onnx"
TEXT_FILE = "text.onnx"
VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
KINDS = ("scene", "face")
FAMILIES = ("clip", "dlib", "insightface", "sface")

Kind = Literal["scene", "face"]
Family = Literal["clip", "dlib", "insightface", "sface"]


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class PackManifest:
    name: str
    version: str
    kind: Kind
    family: Family
    model_id: str
    dim: int
    license: str
    source: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {sha256, size}
    preprocessing: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"manifest {self.name!r}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.family not in FAMILIES:
            raise InvalidInput(
                f"manifest {self.name!r}: family must be one of {FAMILIES}, not {self.family!r}"
            )
        for name in (self.name, *self.files):
            # Pack and file names become paths: nothing may point outside the pack directory.
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise InvalidInput(f"manifest {self.name!r}: {name!r} is not a plain file name")

    @classmethod
    def for_files(cls, pack_dir: Path, file_names: list[str], **fields: Any) -> "PackManifest":
        """A manifest whose ``files`` section records the checksums of files now in ``pack_dir``."""
        files = {
            name: {"sha256": sha256_of(pack_dir / name), "size": (pack_dir / name).stat().st_size}
            for name in sorted(file_names)
        }
        return cls(files=files, **fields)

    @classmethod
    def load(cls, pack_dir: Path) -> "PackManifest":
        path = Path(pack_dir) / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidInput(f"{pack_dir} is not a model pack: it has no {MANIFEST_NAME}") from None
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
        known = set(cls.__dataclass_fields__)
        missing = {"name", "version", "kind", "family", "model_id", "dim", "license", "source"} - set(data)
        if missing:
            raise InvalidInput(f"{path} lacks required fields: {', '.join(sorted(missing))}")
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, pack_dir: Path) -> Path:
        path = Path(pack_dir) / MANIFEST_NAME
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path

    def problems(self, pack_dir: Path, full: bool = True) -> list[str]:
        """Why ``pack_dir`` does not match this manifest: missing, resized or (with ``full``)
        altered files, each named. Empty means intact."""
        found = []
        for name, entry in self.files.items():
            path = Path(pack_dir) / name
            if not path.is_file():
                found.append(f"{name}: missing")
            elif path.stat().st_size != entry["size"]:
                found.append(f"{name}: size {path.stat().st_size} bytes, manifest says {entry['size']}")
            elif full and sha256_of(path) != entry["sha256"]:
                found.append(f"{name}: sha256 does not match the manifest (file altered or corrupt)")
        return found
