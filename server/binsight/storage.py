"""Where a project's library lives: a local folder (the default) or an S3-compatible bucket.

The library is two things: the LanceDB tables (``<root>/db``) and the images ingest keeps
(keyframe JPEGs, thumbnails, face crops, under ``<root>/keyframes`` with the fixed keys
``<media_id>/<keyframe_id>.jpg``, ``.thumb.jpg`` and ``<face_id>.jpg``). Both go to the same
root, so several servers (and ingest workers on other machines) that name the same
``store_uri`` see one library. Records hold keys relative to the images root, never a full
path, so a library reads the same wherever it is opened from.

Lance commits to S3 with a conditional write (``If-None-Match``), so no lock service is needed on
a store that honours it (AWS S3, MinIO, moto); endpoint, region and keys come from the
``[storage]`` settings, else the ``AWS_*`` environment, and are passed to LanceDB as its
``storage_options`` and to Arrow's S3 filesystem for the images. Models, tokens, exports and
caches stay in the local ``data_dir``: they belong to one server, not to the library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

from .errors import InvalidInput


@dataclass(frozen=True)
class StorageSettings:
    """How to reach an S3-compatible ``store_uri`` (unused for a local folder). Empty values
    fall back to the ``AWS_*`` variables an S3 client reads."""

    endpoint: str = ""  # e.g. http://minio.lan:9000; else $AWS_ENDPOINT_URL; "" and unset: AWS
    region: str = ""  # else $AWS_REGION / $AWS_DEFAULT_REGION, else us-east-1
    access_key_id: str = ""  # else $AWS_ACCESS_KEY_ID (both unset: the default credential chain)
    secret_access_key: str = ""  # else $AWS_SECRET_ACCESS_KEY
    refresh_seconds: float = 1.0  # how old a server's view of a shared library may get before a read checks it


class Blobs:
    """The images of a library, by key (``<media_id>/<name>.jpg``), on a local folder or a
    bucket. A local write lands under a temporary name and is renamed, an S3 write is one PUT:
    either way a reader sees the whole image or none."""

    def __init__(self, fs: pafs.FileSystem, root: str, local: bool) -> None:
        self._fs = fs
        self._root = root.rstrip("/")
        self._local = local

    def _path(self, key: str) -> str:
        return f"{self._root}/{key}"

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if not self._local:
            with self._fs.open_output_stream(path) as out:
                out.write(data)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)

    def get(self, key: str) -> bytes | None:
        """The image at ``key``, or None when there is none."""
        try:
            with self._fs.open_input_stream(self._path(key)) as src:
                return src.read()
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:  # Arrow's S3 reports a missing key as a plain OSError
            if "NoSuchKey" in str(exc) or "not found" in str(exc).lower() or "does not exist" in str(exc):
                return None
            raise

    def remove(self, keys: Iterable[str]) -> None:
        """Delete these images (an ingest's work on a shot prediction that did not hold)."""
        for key in keys:
            try:
                self._fs.delete_file(self._path(key))
            except (FileNotFoundError, OSError):
                pass  # never written, or gone already

    def remove_media(self, media_id: str) -> None:
        """Delete every image of one media file (a retired or cancelled version)."""
        try:
            self._fs.delete_dir(self._path(media_id))
        except (FileNotFoundError, OSError):
            pass  # nothing was written for it


@dataclass(frozen=True)
class Location:
    """A resolved library: the LanceDB uri with its options, and the images."""

    uri: str  # the store_uri as given ("" for the local default)
    db_uri: str
    storage_options: Mapping[str, str]
    blobs: Blobs
    remote: bool  # an object store: shared with other servers, so reads check for their commits

    @property
    def local_db(self) -> Path | None:
        return None if self.remote else Path(self.db_uri)


def resolved(settings: StorageSettings, environ: Mapping[str, str] | None = None) -> StorageSettings:
    """The settings with the ``AWS_*`` environment filled in where they are empty: what an
    ingest worker on another machine (another environment) is handed."""
    environ = os.environ if environ is None else environ
    return replace(
        settings,
        endpoint=settings.endpoint or environ.get("AWS_ENDPOINT_URL") or environ.get("AWS_ENDPOINT", ""),
        region=settings.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        access_key_id=settings.access_key_id or environ.get("AWS_ACCESS_KEY_ID", ""),
        secret_access_key=settings.secret_access_key or environ.get("AWS_SECRET_ACCESS_KEY", ""))


def locate(store_uri: str, data_dir: Path, settings: StorageSettings,
           environ: Mapping[str, str] | None = None) -> Location:
    """The library at ``store_uri`` (``""``: the folders ``<data_dir>/db`` and
    ``<data_dir>/keyframes``, as always), with S3 options from ``settings`` and ``environ``."""
    environ = os.environ if environ is None else environ
    if not store_uri:
        return Location("", str(data_dir / "db"), {}, Blobs(pafs.LocalFileSystem(), str(data_dir / "keyframes"),
                                                            local=True), remote=False)
    parsed = urlparse(store_uri)
    if parsed.scheme == "file" or not parsed.scheme:
        root = Path(parsed.path if parsed.scheme else store_uri).expanduser()
        return Location(store_uri, str(root / "db"), {},
                        Blobs(pafs.LocalFileSystem(), str(root / "keyframes"), local=True), remote=False)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise InvalidInput(f"store_uri {store_uri!r}: use a local folder or s3://bucket/prefix")
    bucket, prefix = parsed.netloc, parsed.path.strip("/")
    base = f"{bucket}/{prefix}" if prefix else bucket
    given = resolved(settings, environ)
    endpoint, region = given.endpoint, given.region
    key_id, secret = given.access_key_id, given.secret_access_key
    token = environ.get("AWS_SESSION_TOKEN", "") if not settings.access_key_id else ""
    options: dict[str, str] = {"region": region}
    fs_args: dict[str, object] = {"region": region}
    if endpoint:
        url = urlparse(endpoint)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise InvalidInput(f"storage.endpoint {endpoint!r}: give a URL such as http://host:9000")
        options["endpoint"] = endpoint
        options["allow_http"] = str(url.scheme == "http").lower()
        fs_args.update(endpoint_override=url.netloc, scheme=url.scheme)
    if key_id and secret:
        options.update(aws_access_key_id=key_id, aws_secret_access_key=secret)
        fs_args.update(access_key=key_id, secret_key=secret)
        if token:
            options["aws_session_token"] = token
            fs_args["session_token"] = token
    fs = pafs.S3FileSystem(**fs_args)  # type: ignore[arg-type]
    return Location(store_uri, f"s3://{base}/db", options, Blobs(fs, f"{base}/keyframes", local=False), remote=True)
