"""The model manager: which model packs are installed, getting more, and picking the best.

Binsight works with no downloaded weights at all — scenes with the weight-free pixels embedder,
faces with the built-in dlib model (CC0-1.0 weights from the ``face-recognition-models``
package) — and gets better as the user adds packs to the models directory
(``<data_dir>/models`` unless configured), one sub-directory per pack, each described by a
``manifest.json`` (see :mod:`.manifest`).

Ways to add a pack:

``binsight models pull NAME``
    Standard packs, where the network allows: ``clip-vit-b-32`` / ``clip-vit-b-16`` /
    ``clip-vit-l-14`` (exported from open_clip's LAION weights on the Hugging Face hub; needs the
    export environment, see :mod:`.export_clip`), ``buffalo_l`` (InsightFace's GitHub release;
    **non-commercial research use only**), ``sface`` (OpenCV model zoo SFace + YuNet; Apache-2.0
    and MIT). Pulling fails within seconds, saying what to do instead, where a host is
    unreachable.
``binsight models export-clip --model M --pretrained TAG [--out DIR]``
    Any open_clip model and tag, or a local checkpoint; installs straight into the models dir.
``binsight models import PATH``
    A pack directory or zip made elsewhere (an air-gapped machine's usual route), or the
    files as published: an InsightFace pack (``buffalo_l.zip``, ``buffalo_s``: ``det_*.onnx`` +
    ``w600k_*.onnx``) or the two OpenCV zoo files (``face_detection_yunet_*.onnx`` +
    ``face_recognition_sface_*.onnx``) in a directory are recognised and given a manifest,
    named after the directory or zip.

Every install checks the manifest's sha256s first and refuses a pack whose files do not match.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..embedders.base import SceneEmbedder
from ..embedders.pixels import PixelsEmbedder
from ..errors import InvalidInput, NotFound, Unavailable
from ..packs.manifest import MANIFEST_NAME, PackManifest

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 10.0
INSIGHTFACE_WARNING = (
    "WARNING: InsightFace's pretrained models (buffalo_l and others) are licensed for "
    "non-commercial research use only. Do not use this pack for commercial work; the built-in "
    "dlib model (CC0-1.0) and the sface pack (Apache-2.0/MIT) carry no such restriction."
)
#: Which backend module builds each face family; the class is the FaceModel subclass defined
#: there, constructed with ``from_pack(pack_dir, config)``.
FACE_BACKENDS = {
    "insightface": "binsight.faces.insightface_backend",
    "sface": "binsight.faces.sface_backend",
    "dlib": "binsight.faces.dlib_backend",
}
#: User-installed face families, best first. dlib is the built-in fallback after them.
FACE_PREFERENCE = ("insightface", "sface")
#: What a face pack that cannot be built raises; the next pack is tried.
FACE_LOAD_ERRORS = (ImportError, Unavailable, ValueError, OSError, RuntimeError)


@dataclass(frozen=True)
class StandardPack:
    """A pack ``pull`` knows how to fetch: ``files`` (file name → URL) or ``zip_url``, an
    archive. Face packs also have a ``layout``: glob patterns of the detector and recogniser
    files, which is how ``import`` recognises the published files and checks a download."""

    name: str
    kind: str
    family: str
    dim: int
    license: str
    source: str
    files: dict[str, str] = field(default_factory=dict)
    zip_url: str | None = None
    clip: tuple[str, str] | None = None  # (open_clip model, pretrained tag) for CLIP packs
    layout: tuple[str, str] | None = None  # (detector glob, recogniser glob) for face packs
    warning: str | None = None


_ZOO = "https://github.com/opencv/opencv_zoo/raw/main/models"
STANDARD_PACKS: dict[str, StandardPack] = {
    pack.name: pack
    for pack in [
        *(
            StandardPack(
                name=f"clip-{arch.lower()}", kind="scene", family="clip", dim=dim, license="MIT",
                source=f"open_clip {arch} pretrained={tag} (Hugging Face hub)", clip=(arch, tag),
            )
            for arch, tag, dim in [
                ("ViT-B-32", "laion2b_s34b_b79k", 512),
                ("ViT-B-16", "laion2b_s34b_b88k", 512),
                ("ViT-L-14", "laion2b_s32b_b82k", 768),
            ]
        ),
        StandardPack(
            name="buffalo_l", kind="face", family="insightface", dim=512,
            license="InsightFace pretrained models: non-commercial research use only",
            source="https://github.com/deepinsight/insightface (release v0.7, buffalo_l.zip)",
            layout=("det_*.onnx", "w600k_*.onnx"),
            zip_url="https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
            warning=INSIGHTFACE_WARNING,
        ),
        StandardPack(
            name="sface", kind="face", family="sface", dim=128,
            license="Apache-2.0 (SFace), MIT (YuNet)", source="OpenCV model zoo",
            files={
                "face_recognition_sface_2021dec.onnx":
                    f"{_ZOO}/face_recognition_sface/face_recognition_sface_2021dec.onnx",
                "face_detection_yunet_2023mar.onnx":
                    f"{_ZOO}/face_detection_yunet/face_detection_yunet_2023mar.onnx",
            },
            layout=("face_detection_yunet_*.onnx", "face_recognition_sface_*.onnx"),
        ),
    ]
}
BUILTIN_DLIB = PackManifest(
    name="dlib", version="1", kind="face", family="dlib", model_id="dlib-resnet-v1", dim=128,
    license="CC0-1.0", source="face-recognition-models (PyPI), installed with Binsight",
)


@dataclass(frozen=True)
class InstalledPack:
    manifest: PackManifest
    path: Path | None  # None for the built-in dlib pack, whose files live in site-packages
    builtin: bool = False


class ModelManager:
    """Lists, installs, verifies and chooses model packs in ``models_dir``.

    ``echo`` receives messages a person must see (licence warnings, progress); the CLI passes
    ``print``, the server its logger.
    """

    def __init__(self, models_dir: Path, echo: Callable[[str], None] = log.warning) -> None:
        self.models_dir = Path(models_dir)
        self.echo = echo
        self._scene: SceneEmbedder | None = None
        self._face: Any = None
        self._notes: list[str] = []

    # --- what is installed --------------------------------------------------------------------
    def list(self) -> list[InstalledPack]:
        """Installed packs (unreadable ones are skipped with a log line), then built-in dlib."""
        packs = []
        if self.models_dir.is_dir():
            for pack_dir in sorted(p for p in self.models_dir.iterdir() if p.is_dir()):
                if pack_dir.name.startswith("."):
                    continue  # staging area
                try:
                    packs.append(InstalledPack(PackManifest.load(pack_dir), pack_dir))
                except InvalidInput as exc:
                    log.warning("ignoring unreadable model pack", extra={"pack": str(pack_dir), "error": str(exc)})
        if _dlib_available():
            packs.append(InstalledPack(BUILTIN_DLIB, None, builtin=True))
        return packs

    def get(self, name: str) -> InstalledPack:
        for pack in self.list():
            if pack.manifest.name == name:
                return pack
        raise NotFound(f"no model pack {name!r} installed in {self.models_dir} "
                       f"(installed: {', '.join(p.manifest.name for p in self.list()) or 'none'})")

    def verify(self, name: str | None = None) -> dict[str, list[str]]:
        """Full checksum check of one or every pack: name → problems (empty list = intact)."""
        packs = [self.get(name)] if name else self.list()
        return {
            p.manifest.name: [] if p.path is None else p.manifest.problems(p.path, full=True)
            for p in packs
        }

    # --- getting packs --------------------------------------------------------------------------
    def import_pack(self, source: Path) -> PackManifest:
        """Install a pack directory or zip (with a manifest, or in a recognised published layout)."""
        source = Path(source)
        if not source.exists():
            raise InvalidInput(f"{source} does not exist")
        with self._staging() as staging:
            if source.is_dir():
                root = source
            elif zipfile.is_zipfile(source):
                _safe_extract(source, staging / "unzipped")
                root = _pack_root(staging / "unzipped")
            else:
                raise InvalidInput(f"{source} is neither a directory nor a zip file")
            pack_dir = staging / "pack"
            shutil.copytree(root, pack_dir)
            if not (pack_dir / MANIFEST_NAME).exists():
                _describe_published_layout(pack_dir, source, self.echo)
            return self._install(pack_dir)

    def pull(self, name: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> PackManifest:
        """Fetch a standard pack (see ``STANDARD_PACKS``) and install it."""
        standard = STANDARD_PACKS.get(name)
        if standard is None:
            raise NotFound(f"unknown pack {name!r}; standard packs: {', '.join(STANDARD_PACKS)}")
        if standard.warning:
            self.echo(standard.warning)
        with self._staging() as staging:
            pack_dir = staging / "pack"
            if standard.clip:
                return self._pull_clip(standard, pack_dir, timeout)
            pack_dir.mkdir()
            if standard.zip_url:
                archive = staging / "download.zip"
                _download(standard.zip_url, archive, timeout, standard.name)
                _safe_extract(archive, staging / "unzipped")
                _flatten_into(_pack_root(staging / "unzipped"), pack_dir)
            else:
                for file_name, url in standard.files.items():
                    _download(url, pack_dir / file_name, timeout, standard.name)
            _write_standard_manifest(standard, pack_dir)
            return self._install(pack_dir)

    def _pull_clip(self, standard: StandardPack, pack_dir: Path, timeout: float) -> PackManifest:
        arch, tag = standard.clip  # type: ignore[misc]
        by_hand = (f"on a machine with internet and the export environment run `binsight models "
                   f"export-clip --model {arch} --pretrained {tag}`, copy the pack here and "
                   f"`binsight models import PATH`")
        # find_spec, not import: importing torch takes seconds, and failing fast is the point.
        if importlib.util.find_spec("open_clip") is None:
            raise Unavailable(
                f"pulling {standard.name} exports it with open_clip, which this environment lacks "
                f"(pip install 'binsight[export]' with a matching torch/torchvision, see "
                f".ci/export-env.sh); or {by_hand}"
            )
        _probe("https://huggingface.co", timeout, standard.name, by_hand)
        from .export_clip import export_clip

        export_clip(arch, tag, pack_dir, name=standard.name)
        return self._install(pack_dir)

    def export_clip(self, model_name: str, pretrained: str | None, out: Path | None = None) -> PackManifest:
        """Export with open_clip (export environment only). Into ``out`` if given — a pack to
        carry elsewhere — else straight into this models dir."""
        from .export_clip import default_pack_name, export_clip

        if out is not None:
            return export_clip(model_name, pretrained, out)
        with self._staging() as staging:
            export_clip(model_name, pretrained, staging / "pack",
                        name=default_pack_name(model_name, pretrained))
            return self._install(staging / "pack")

    def _staging(self) -> "_PathTemporaryDirectory":
        """A scratch directory on the models dir's filesystem, so installing is a rename."""
        root = self.models_dir / ".staging"
        root.mkdir(parents=True, exist_ok=True)
        return _PathTemporaryDirectory(dir=root)

    def _install(self, pack_dir: Path) -> PackManifest:
        """Verify ``pack_dir`` against its manifest and move it into place, replacing an older
        pack of the same name only once the new one is known good."""
        manifest = PackManifest.load(pack_dir)
        problems = manifest.problems(pack_dir, full=True)
        if problems:
            raise InvalidInput(f"refusing pack {manifest.name!r}: " + "; ".join(problems))
        unlisted = sorted(
            p.name for p in pack_dir.iterdir() if p.name != MANIFEST_NAME and p.name not in manifest.files
        )
        if unlisted:
            log.info("files not in the manifest are kept but unchecked",
                     extra={"pack": manifest.name, "files": unlisted})
        target = self.models_dir / manifest.name
        if target.exists():
            retired = pack_dir.parent / "retired"
            target.rename(retired)
        pack_dir.rename(target)
        self.echo(f"installed {manifest.name} ({manifest.kind}, {manifest.family}, "
                  f"licence: {manifest.license}) in {target}")
        return manifest

    # --- choosing -------------------------------------------------------------------------------
    def best_scene_embedder(self, prefer: str = "auto", **clip_options: Any) -> SceneEmbedder:
        """``prefer``: "auto" (the best intact CLIP pack, else pixels), "pixels", or a pack name.
        ``clip_options`` go to :class:`ClipEmbedder` (batch_size, providers, intra_op_threads)."""
        from ..embedders.clip import ClipEmbedder

        self._notes = [n for n in self._notes if not n.startswith("scene:")]
        if prefer == "pixels":
            self._scene = PixelsEmbedder()
            return self._scene
        if prefer != "auto":
            pack = self.get(prefer)
            if pack.manifest.family != "clip":
                raise InvalidInput(f"pack {prefer!r} is a {pack.manifest.family} pack, not a scene model")
            self._scene = ClipEmbedder(pack.path, **clip_options)
            return self._scene
        candidates = sorted(
            (p for p in self.list() if p.manifest.family == "clip"),
            key=lambda p: (p.manifest.dim, p.manifest.preprocessing.get("image_size", 0), p.manifest.name),
            reverse=True,
        )
        for pack in candidates:
            problems = pack.manifest.problems(pack.path, full=False)
            if problems:
                self._notes.append(f"scene: skipped {pack.manifest.name}: {'; '.join(problems)}")
                continue
            try:
                self._scene = ClipEmbedder(pack.path, **clip_options)
                return self._scene
            except (Unavailable, ValueError) as exc:
                self._notes.append(f"scene: skipped {pack.manifest.name}: {exc}")
        self._notes.append(
            "scene: no usable CLIP pack installed, using the weight-free pixels embedder (text "
            "search off); add one with `binsight models pull clip-vit-b-32` or `binsight models "
            "import PATH`"
        )
        self._scene = PixelsEmbedder()
        return self._scene

    def best_face_model(self, config: Any = None, prefer: str = "auto") -> Any:
        """``prefer``: "auto" (an installed InsightFace/SFace pack, else built-in dlib, else None)
        or a pack name ("dlib" for the built-in). ``config`` is a ``faces.base.FaceConfig``."""
        self._notes = [n for n in self._notes if not n.startswith("face:")]
        ranked = self.face_packs(prefer)
        if prefer != "auto":
            self._face = build_face_model(ranked[0], config)
            return self._face
        for pack in ranked:
            try:
                self._face = build_face_model(pack, config)
                return self._face
            except FACE_LOAD_ERRORS as exc:
                self._notes.append(f"face: skipped {pack.manifest.name}: {exc}")
        self._notes.append("face: no face model available; face bins are off")
        self._face = None
        return None

    def face_packs(self, prefer: str = "auto") -> list[InstalledPack]:
        """The face packs to try, best first: ``prefer`` alone when it names one (NotFound when
        it is not installed), else installed InsightFace/SFace packs, then the built-in dlib."""
        installed = {p.manifest.name: p for p in self.list() if p.manifest.kind == "face"}
        if prefer != "auto":
            if prefer not in installed:
                raise NotFound(f"no face pack {prefer!r} installed "
                               f"(installed: {', '.join(installed) or 'none'})")
            return [installed[prefer]]
        return sorted(
            (p for p in installed.values() if p.manifest.family in FACE_PREFERENCE),
            key=lambda p: (FACE_PREFERENCE.index(p.manifest.family), p.manifest.name),
        ) + [p for p in installed.values() if p.builtin]

    def describe(self, face_config: Any = None) -> dict[str, Any]:
        """What the server runs with, for status reports: model ids, providers, licences and
        notes explaining every fallback. Reports the models last chosen; with ``face_config``
        and no face model chosen yet, chooses one (faces disabled: pass None, none is built)."""
        scene = self._scene or self.best_scene_embedder()
        face = self._face
        if face is None and face_config is not None:
            face = self.best_face_model(face_config)
        return {
            "scene_model": scene.model_id,
            "scene_provider": scene.provider,
            "scene_license": getattr(scene, "license", "Apache-2.0 (Binsight, no weights)"),
            "text_search": scene.supports_text,
            "face_model": face.model_id if face is not None else None,
            "face_provider": face.provider if face is not None else None,
            "face_license": face.license if face is not None else None,
            "notes": list(self._notes),
        }


class _PathTemporaryDirectory(tempfile.TemporaryDirectory):  # type: ignore[type-arg]
    """TemporaryDirectory whose context value is a Path."""

    def __enter__(self) -> Path:  # type: ignore[override]
        return Path(self.name)


def _dlib_available() -> bool:
    try:
        from ..faces.dlib_backend import installed_weights_dir

        installed_weights_dir()
        return True
    except (ImportError, FileNotFoundError):
        return False


def build_face_model(pack: InstalledPack, config: Any) -> Any:
    """Construct the backend of ``pack``'s family through its ``from_pack(pack_dir, config)``."""
    from ..faces.base import FaceModel

    module = importlib.import_module(FACE_BACKENDS[pack.manifest.family])
    backend = next(
        (obj for obj in vars(module).values()
         if inspect.isclass(obj) and issubclass(obj, FaceModel) and obj.__module__ == module.__name__),
        None,
    )
    if backend is None:
        raise ImportError(f"{module.__name__} defines no FaceModel")
    return backend.from_pack(pack.path, config)


def _probe(url: str, timeout: float, pack: str, by_hand: str) -> None:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unavailable(f"cannot pull {pack}: {url} is unreachable ({reason}); {by_hand}") from None


def _download(url: str, target: Path, timeout: float, pack: str) -> None:
    """Stream ``url`` to ``target``; any network failure becomes an Unavailable that says how to
    place the file by hand."""
    by_hand = (f"download {url} on a machine with internet, then `binsight models import` the "
               f"file (or a directory holding it)")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unavailable(f"cannot pull {pack}: {url} failed ({reason}); {by_hand}") from None


def _safe_extract(archive: Path, target: Path) -> None:
    """Unzip refusing members that would land outside ``target`` (zip-slip)."""
    target.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            destination = (target / member).resolve()
            if not destination.is_relative_to(target.resolve()):
                raise InvalidInput(f"{archive}: member {member!r} points outside the archive")
        zf.extractall(target)


def _pack_root(extracted: Path) -> Path:
    """The directory holding the pack: the archive top, or its only folder (how zips of a
    folder and InsightFace's ``buffalo_l.zip`` of some versions look)."""
    entries = [p for p in extracted.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return extracted


def _flatten_into(source: Path, target: Path) -> None:
    for item in source.iterdir():
        item.rename(target / item.name)


def _layout_matches(standard: StandardPack, pack_dir: Path) -> list[Path] | None:
    """The detector and recogniser files of a face pack's layout, or None if one is absent."""
    found = [sorted(pack_dir.glob(pattern)) for pattern in standard.layout or ()]
    return [paths[0] for paths in found] if found and all(found) else None


def _write_standard_manifest(standard: StandardPack, pack_dir: Path, name: str | None = None) -> PackManifest:
    """A manifest for face files as published. The model id follows the backends' naming
    (family and recogniser file), so it matches the id the loaded model reports."""
    matched = _layout_matches(standard, pack_dir)
    if matched is None:
        raise InvalidInput(f"{standard.name}: expected files missing: {', '.join(standard.layout or ())}")
    # Every model file becomes part of the checked manifest (buffalo_l also ships landmark and
    # attribute models a backend may use), not only the required ones.
    files = [p.name for p in pack_dir.iterdir() if p.is_file() and p.name != MANIFEST_NAME]
    manifest = PackManifest.for_files(
        pack_dir, files, name=name or standard.name, version="1", kind=standard.kind,
        family=standard.family, model_id=f"{standard.family}:{matched[1].stem}", dim=standard.dim,
        license=standard.license, source=standard.source,
    )
    manifest.save(pack_dir)
    return manifest


def _describe_published_layout(pack_dir: Path, source: Path, echo: Callable[[str], None]) -> None:
    """Give a manifest to files imported as published (no manifest.json), or say why not."""
    for standard in STANDARD_PACKS.values():
        if _layout_matches(standard, pack_dir) is not None:
            if standard.warning:
                echo(standard.warning)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", source.stem).strip("-.") or standard.name
            _write_standard_manifest(standard, pack_dir, name)
            return
    known = "; ".join(f"{s.name}: {' + '.join(s.layout)}" for s in STANDARD_PACKS.values() if s.layout)
    raise InvalidInput(
        f"{source} has no {MANIFEST_NAME} and is not a known published layout ({known}); "
        "CLIP packs come from `binsight models export-clip`"
    )
