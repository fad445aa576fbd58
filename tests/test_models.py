"""ModelManager and ``binsight models`` CLI: install, verify, choose, pull — no torch, no internet.

Packs are tiny CLIP-signature ONNX graphs (tests/clip_pack_factory.py). Pulls go to a local
HTTP server on 127.0.0.1 or to a closed loopback port, never off the machine.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from binsight.embedders.clip import ClipEmbedder
from binsight.embedders.pixels import PixelsEmbedder
from binsight.errors import InvalidInput, NotFound, Unavailable
from binsight.models import manager as manager_module
from binsight.models.cli import register
from binsight.models.manager import INSIGHTFACE_WARNING, ModelManager, StandardPack
from binsight.packs.manifest import PackManifest

from clip_pack_factory import make_clip_pack


@pytest.fixture
def models_dir(tmp_path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def manager(models_dir, messages) -> ModelManager:
    return ModelManager(models_dir, echo=messages.append)


@pytest.fixture
def tiny_pack(tmp_path) -> Path:
    pack = tmp_path / "made-elsewhere" / "clip-tiny"
    make_clip_pack(pack)
    return pack


def run_cli(models_dir: Path, *argv: str) -> tuple[int, str]:
    """``binsight models ARGV`` through register(), as the lead's CLI will call it."""
    out: list[str] = []
    parser = argparse.ArgumentParser(prog="binsight")
    register(parser.add_subparsers(dest="command", required=True), models_dir, echo=out.append)
    args = parser.parse_args(["models", *argv])
    return args.func(args), "\n".join(out)


def tamper(path: Path) -> None:
    """Flip one byte, keeping the size: only the checksum can tell."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_import_installs_a_verified_pack_next_to_builtin_dlib(manager, tiny_pack, models_dir):
    manifest = manager.import_pack(tiny_pack)
    assert (models_dir / "clip-tiny" / "image.onnx").is_file()
    listed = {p.manifest.name: p for p in manager.list()}
    assert listed["clip-tiny"].manifest == manifest
    assert listed["dlib"].builtin and listed["dlib"].manifest.license == "CC0-1.0"
    assert manager.verify() == {"clip-tiny": [], "dlib": []}


def test_verify_names_a_tampered_file(manager, tiny_pack, models_dir):
    manager.import_pack(tiny_pack)
    tamper(models_dir / "clip-tiny" / "text.onnx")
    problems = manager.verify("clip-tiny")["clip-tiny"]
    assert problems == ["text.onnx: sha256 does not match the manifest (file altered or corrupt)"]
    code, out = run_cli(models_dir, "verify")
    assert code == 1 and "FAILED  clip-tiny: text.onnx: sha256 does not match" in out
    assert "OK      dlib" in out


def test_import_refuses_a_tampered_or_incomplete_pack(manager, tiny_pack, models_dir):
    tamper(tiny_pack / "image.onnx")
    with pytest.raises(InvalidInput, match="refusing pack 'clip-tiny': image.onnx: sha256"):
        manager.import_pack(tiny_pack)
    (tiny_pack / "text.onnx").unlink()
    with pytest.raises(InvalidInput, match="text.onnx: missing"):
        manager.import_pack(tiny_pack)
    assert not (models_dir / "clip-tiny").exists()


def test_import_zip_of_a_pack_folder(manager, tiny_pack, tmp_path):
    archive = tmp_path / "clip-tiny.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in tiny_pack.iterdir():
            zf.write(path, f"clip-tiny/{path.name}")
    assert manager.import_pack(archive).name == "clip-tiny"
    assert manager.verify("clip-tiny") == {"clip-tiny": []}


def test_import_refuses_zip_slip_and_unknown_layouts(manager, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../outside.onnx", b"x")
    with pytest.raises(InvalidInput, match="outside the archive"):
        manager.import_pack(archive)
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "model.onnx").write_bytes(b"x")
    with pytest.raises(InvalidInput, match="has no manifest.json and is not a known published layout"):
        manager.import_pack(loose)


def test_import_recognises_published_face_files(manager, messages, tmp_path):
    published = tmp_path / "opencv zoo"
    published.mkdir()
    for name in manager_module.STANDARD_PACKS["sface"].files:
        (published / name).write_bytes(name.encode())
    manifest = manager.import_pack(published)
    assert (manifest.name, manifest.family, manifest.kind) == ("opencv-zoo", "sface", "face")
    assert manifest.model_id == "sface:face_recognition_sface_2021dec"  # the backend's own id
    assert manifest.license == "Apache-2.0 (SFace), MIT (YuNet)"
    assert manager.verify("opencv-zoo") == {"opencv-zoo": []}
    buffalo_s = tmp_path / "buffalo_s"
    buffalo_s.mkdir()
    for name in ["det_500m.onnx", "w600k_mbf.onnx", "1k3d68.onnx"]:
        (buffalo_s / name).write_bytes(name.encode())
    manifest = manager.import_pack(buffalo_s)
    assert (manifest.name, manifest.model_id) == ("buffalo_s", "insightface:w600k_mbf")
    assert messages.count(INSIGHTFACE_WARNING) == 1


def test_reimport_replaces_the_pack(manager, tiny_pack, tmp_path, models_dir):
    manager.import_pack(tiny_pack)
    newer = tmp_path / "newer" / "clip-tiny"
    make_clip_pack(newer, seed=5)
    assert manager.import_pack(newer).model_id == "clip:tiny:clip-tiny-5"
    assert PackManifest.load(models_dir / "clip-tiny").model_id == "clip:tiny:clip-tiny-5"


def test_no_pack_means_pixels_and_describe_says_so(manager):
    from binsight.faces.base import FaceConfig

    embedder = manager.best_scene_embedder()
    assert isinstance(embedder, PixelsEmbedder)
    assert manager.describe()["face_model"] is None  # faces off: nothing is built
    status = manager.describe(FaceConfig())
    assert status["scene_model"] == PixelsEmbedder.model_id and status["text_search"] is False
    assert any("no usable CLIP pack" in note and "binsight models pull" in note for note in status["notes"])
    assert status["face_model"] == "dlib-resnet-v1" and status["face_license"].startswith("CC0-1.0")


def test_installed_clip_pack_is_chosen_over_pixels(manager, tiny_pack, tmp_path):
    manager.import_pack(tiny_pack)
    wider = tmp_path / "wide" / "clip-wide"
    make_clip_pack(wider, name="clip-wide", dim=32)
    manager.import_pack(wider)
    embedder = manager.best_scene_embedder(providers=["CPUExecutionProvider"])
    assert isinstance(embedder, ClipEmbedder) and embedder.model_id == "clip:tiny:clip-wide-0"
    status = manager.describe()
    assert status["scene_model"] == "clip:tiny:clip-wide-0" and status["scene_provider"] == "cpu"
    assert status["text_search"] is True and status["scene_license"] == "CC0-1.0 (test fixture)"
    assert not any(note.startswith("scene:") for note in status["notes"])
    named = manager.best_scene_embedder("clip-tiny")
    assert named.model_id == "clip:tiny:clip-tiny-0"
    assert isinstance(manager.best_scene_embedder("pixels"), PixelsEmbedder)


def test_a_damaged_pack_is_skipped_with_a_note(manager, tiny_pack, models_dir):
    manager.import_pack(tiny_pack)
    (models_dir / "clip-tiny" / "image.onnx").write_bytes(b"truncated")
    assert isinstance(manager.best_scene_embedder(), PixelsEmbedder)
    assert any("skipped clip-tiny: image.onnx: size" in n for n in manager.describe()["notes"])


def test_switching_models_changes_the_embedding_space(manager, tiny_pack):
    before = manager.best_scene_embedder()
    manager.import_pack(tiny_pack)
    after = manager.best_scene_embedder()
    frame = np.full((40, 60, 3), 90, np.uint8)
    assert before.model_id != after.model_id
    assert before.embed_images([frame]).shape[1] != after.embed_images([frame]).shape[1]


def test_best_face_model_falls_back_to_builtin_dlib(manager):
    from binsight.faces.base import FaceConfig
    from binsight.faces.dlib_backend import DlibFaceModel

    face = manager.best_face_model(FaceConfig())
    assert isinstance(face, DlibFaceModel)
    with pytest.raises(NotFound, match="no face pack 'buffalo_l'"):
        manager.best_face_model(FaceConfig(), prefer="buffalo_l")


def test_installed_face_packs_beat_dlib_insightface_first(manager, tmp_path):
    import onnx_face_models as fm
    from binsight.faces.base import FaceConfig

    sface = tmp_path / "sface"
    sface.mkdir()
    fm.yunet_model(sface / "face_detection_yunet_2023mar.onnx")
    fm.recognizer_model(sface / "face_recognition_sface_2021dec.onnx", fm.projection(128), "data", "fc1")
    manager.import_pack(sface)
    assert manager.best_face_model(FaceConfig()).model_id == "sface:face_recognition_sface_2021dec"
    buffalo = tmp_path / "buffalo_l"
    buffalo.mkdir()
    fm.scrfd_model(buffalo / "det_10g.onnx")
    fm.recognizer_model(buffalo / "w600k_r50.onnx", fm.projection(512), "input.1", "683")
    manager.import_pack(buffalo)
    face = manager.best_face_model(FaceConfig())
    assert face.model_id == "insightface:w600k_r50"
    status = manager.describe()
    assert status["face_model"] == "insightface:w600k_r50" and "non-commercial" in status["face_license"]
    assert manager.best_face_model(FaceConfig(), prefer="dlib").model_id == "dlib-resnet-v1"


def test_unknown_names_are_clear(manager):
    with pytest.raises(NotFound, match="unknown pack 'clip-huge'; standard packs: clip-vit-b-32"):
        manager.pull("clip-huge")
    with pytest.raises(NotFound, match="no model pack 'nope' installed"):
        manager.best_scene_embedder("nope")


def test_pull_fails_fast_with_instructions_when_unreachable(manager, monkeypatch):
    closed = "http://127.0.0.1:9/face_recognition_sface_2021dec.onnx"  # discard port: refused
    sface = manager_module.STANDARD_PACKS["sface"]
    broken = StandardPack(**{**sface.__dict__, "files": {n: closed for n in sface.files}})
    monkeypatch.setitem(manager_module.STANDARD_PACKS, "sface", broken)
    with pytest.raises(Unavailable, match=r"cannot pull sface: .* failed .*binsight models import"):
        manager.pull("sface", timeout=2)
    assert not any(p.manifest.name == "sface" for p in manager.list())
    code, out = run_cli(manager.models_dir, "pull", "sface", "--timeout", "2")
    assert code == 1 and out.startswith("error: cannot pull sface")


def test_pull_clip_without_the_export_extra_says_how(manager):
    pytest.importorskip("onnxruntime")
    try:
        import open_clip  # noqa: F401
    except ImportError:
        with pytest.raises(Unavailable, match="export-clip --model ViT-B-32 --pretrained laion2b_s34b_b79k"):
            manager.pull("clip-vit-b-32")
    else:
        pytest.skip("open_clip is importable here; the message is for environments without it")


@pytest.fixture
def local_release(tmp_path):
    """A buffalo_l.zip laid out like InsightFace's release, served on 127.0.0.1."""
    root = tmp_path / "www"
    root.mkdir()
    with zipfile.ZipFile(root / "buffalo_l.zip", "w") as zf:
        for name in ["det_10g.onnx", "w600k_r50.onnx", "2d106det.onnx"]:
            zf.writestr(f"buffalo_l/{name}", name * 10)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/buffalo_l.zip"
    server.shutdown()
    server.server_close()


def test_pull_insightface_warns_about_its_licence(manager, messages, monkeypatch, local_release):
    buffalo = manager_module.STANDARD_PACKS["buffalo_l"]
    monkeypatch.setitem(manager_module.STANDARD_PACKS, "buffalo_l",
                        StandardPack(**{**buffalo.__dict__, "zip_url": local_release}))
    manifest = manager.pull("buffalo_l", timeout=5)
    assert messages[0] == INSIGHTFACE_WARNING and "non-commercial" in messages[0]
    assert manifest.family == "insightface" and "non-commercial" in manifest.license
    assert manifest.model_id == "insightface:w600k_r50"
    assert sorted(manifest.files) == ["2d106det.onnx", "det_10g.onnx", "w600k_r50.onnx"]
    assert manager.verify("buffalo_l") == {"buffalo_l": []}


def test_cli_list_import_and_errors(models_dir, tiny_pack):
    code, out = run_cli(models_dir, "import", str(tiny_pack))
    assert code == 0 and "ready: clip-tiny (clip:tiny:clip-tiny-0, licence: CC0-1.0 (test fixture))" in out
    code, out = run_cli(models_dir, "list")
    assert code == 0 and "clip-tiny" in out and "licence: CC0-1.0  [built-in]" in out
    code, out = run_cli(models_dir, "verify", "clip-tiny")
    assert (code, out) == (0, "OK      clip-tiny")
    code, out = run_cli(models_dir, "import", str(models_dir / "missing"))
    assert code == 1 and "does not exist" in out


def test_manifest_file_names_cannot_leave_the_pack(tiny_pack, manager):
    manifest_path = tiny_pack / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["files"]["../../outside.onnx"] = data["files"].pop("image.onnx")
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput, match="'../../outside.onnx' is not a plain file name"):
        manager.import_pack(tiny_pack)
