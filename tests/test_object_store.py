"""The library on S3-compatible storage (moto's server, started by these tests): the same clips
ingested into a bucket read exactly as from a local folder, and the images live in the bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from binsight.config import Config, load_config
from binsight.errors import InvalidInput
from binsight.service.server import BinsightServer
from binsight.storage import StorageSettings, locate
from binsight_client import Client
from conftest import allow_test_media, make_config
from library_view import read_library
from media_factory import encode, shared_media
from moto_s3 import BUCKET, MotoS3, moto_s3
from test_server import FPS, PLAN, pan_shot, still_shot

s3 = pytest.fixture(scope="module")(moto_s3)


def test_a_local_library_is_where_it_always_was(tmp_path: Path) -> None:
    where = locate("", tmp_path, StorageSettings(), environ={})
    assert (where.db_uri, dict(where.storage_options), where.remote) == (str(tmp_path / "db"), {}, False)
    where = locate(str(tmp_path / "lib"), tmp_path, StorageSettings(), environ={})
    assert (where.db_uri, where.remote) == (str(tmp_path / "lib" / "db"), False)


def test_s3_options_come_from_the_settings_then_the_environment(tmp_path: Path) -> None:
    env = {"AWS_ENDPOINT_URL": "http://env:9000", "AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "envkey",
           "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok"}
    where = locate("s3://bins/show/day1/", tmp_path, StorageSettings(), environ=env)
    assert where.db_uri == "s3://bins/show/day1/db" and where.remote
    assert dict(where.storage_options) == {
        "region": "eu-west-3", "endpoint": "http://env:9000", "allow_http": "true",
        "aws_access_key_id": "envkey", "aws_secret_access_key": "envsecret", "aws_session_token": "tok"}
    settings = StorageSettings(endpoint="https://minio.lan:9443", region="auto", access_key_id="k",
                               secret_access_key="s")
    where = locate("s3://bins", tmp_path, settings, environ=env)
    assert where.db_uri == "s3://bins/db"
    assert dict(where.storage_options) == {"region": "auto", "endpoint": "https://minio.lan:9443",
                                           "allow_http": "false", "aws_access_key_id": "k",
                                           "aws_secret_access_key": "s"}
    assert dict(locate("s3://bins/p", tmp_path, StorageSettings(), environ={}).storage_options) == \
        {"region": "us-east-1"}  # nothing given: AWS itself, with its default credential chain


def test_the_config_file_names_the_store(tmp_path: Path) -> None:
    (tmp_path / "binsight.toml").write_text(
        'store_uri = "s3://bins/show"\n[storage]\nendpoint = "http://127.0.0.1:9000"\nregion = "r1"\n')
    config = load_config(tmp_path / "binsight.toml", environ={})
    assert config.location(environ={}).storage_options == {"region": "r1", "endpoint": "http://127.0.0.1:9000",
                                                           "allow_http": "true"}
    assert load_config(None, {"data_dir": tmp_path}, {"BINSIGHT_STORE_URI": "s3://x/y"}).store_uri == "s3://x/y"


@pytest.mark.parametrize("uri, error", [("gs://bucket/p", "s3://bucket/prefix"), ("s3:///p", "s3://bucket/prefix")])
def test_an_unknown_store_is_refused_by_name(tmp_path: Path, uri: str, error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        locate(uri, tmp_path, StorageSettings(), environ={})
    with pytest.raises(InvalidInput, match="give a URL"):
        locate("s3://b/p", tmp_path, StorageSettings(endpoint="minio:9000"), environ={})


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    frames = []
    for i, (setup, kind, n) in enumerate(PLAN):
        frames += still_shot(setup, n, shift=4 * i) if kind == "still" else pan_shot(setup, n)
    generated = encode(tmp_path_factory.mktemp("s3clips") / "setups.mp4", frames, fps=FPS)
    return [generated, shared_media("counter.mp4"), shared_media("testvideo.mp4")]


def serve(config: Config, base: Path) -> tuple[BinsightServer, Client]:
    allow_test_media(config.data_dir, base)
    server = BinsightServer(config).start()
    return server, Client(server.address, timeout=300, actor="tester")


def ingest_and_read(config: Config, base: Path, clips: list[Path]):
    server, client = serve(config, base)
    try:
        job = client.ingest([str(c) for c in clips])
        assert job.state == "succeeded", job.error
        client.recluster()
        return read_library(client)
    finally:
        client.close()
        server.stop()


def test_a_library_in_a_bucket_reads_as_one_in_a_folder(s3: MotoS3, clips: list[Path], tmp_path: Path,
                                                         tmp_path_factory) -> None:
    base = tmp_path_factory.getbasetemp()
    local = ingest_and_read(make_config(tmp_path / "local" / "data", **{"faces.enabled": False}), base, clips)
    remote_config = make_config(tmp_path / "remote" / "data", **{"faces.enabled": False,
                                                                 "store_uri": f"s3://{BUCKET}/show-a",
                                                                 **s3.settings()})
    remote = ingest_and_read(remote_config, base, clips)
    assert len(local.shots) > len(PLAN)  # the generated clip's shots and the shared clips'
    assert remote.shots == local.shots
    assert remote.bins == local.bins
    assert remote.images == local.images and len(remote.images) >= len(local.shots)
    assert [name for name, _ in remote.exports] == [name for name, _ in local.exports]
    assert remote.exports == local.exports  # byte for byte: the same files, so the same paths

    # the tables and every image are in the bucket, none in the server's own data dir
    keys = s3.keys("show-a/")
    images = [k for k in keys if k.startswith("show-a/keyframes/")]
    assert len([k for k in images if k.endswith(".thumb.jpg")]) == len(remote.images)
    assert len(images) == 2 * len(remote.images)
    assert any(k.startswith("show-a/db/media.lance/") for k in keys)
    assert not (tmp_path / "remote" / "data" / "keyframes").exists()
    assert not (tmp_path / "remote" / "data" / "db").exists()

    # reopened from the bucket alone (a new data dir), the library is all there
    server, client = serve(make_config(tmp_path / "elsewhere" / "data", **{"faces.enabled": False,
                                                                          "store_uri": f"s3://{BUCKET}/show-a",
                                                                          **s3.settings()}), base)
    try:
        assert read_library(client) == remote
        job = client.ingest([str(c) for c in clips])  # unchanged files: nothing written again
        assert [f.status for f in job.files] == ["unchanged"] * len(clips)
        assert s3.keys("show-a/keyframes/") == images
    finally:
        client.close()
        server.stop()


def test_face_crops_go_to_the_bucket(s3: MotoS3, tmp_path: Path, tmp_path_factory) -> None:
    config = make_config(tmp_path / "data", **{"store_uri": f"s3://{BUCKET}/show-faces", **s3.settings()})
    server, client = serve(config, tmp_path_factory.getbasetemp())
    try:
        job = client.ingest([str(shared_media("short_hamilton_clip.mp4"))])
        assert job.state == "succeeded" and job.files[0].faces > 0
        people = client.list_characters()
        assert people
        crop = client.face_image(people[0].sample_face_id)
        assert (crop.width, crop.height) == (128, 128)
        media_id = job.files[0].media_id
        faces = [k for k in s3.keys(f"show-faces/keyframes/{media_id}/") if "-f" in k.rsplit("/", 1)[1]]
        assert len(faces) == job.files[0].faces  # one crop per face, none left over
        bucket = s3.client()
        stored = {bucket.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in faces}
        assert crop.data in stored  # the crop served is the one in the bucket
    finally:
        client.close()
        server.stop()
