"""moto's S3 server on a free loopback port, for tests and benchmarks of a library on object
storage: started by its owner in-process, stopped by it (never a shared or system service)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "binsight-test"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


class MotoS3:
    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> "MotoS3":
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client().create_bucket(Bucket=BUCKET)
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self):  # noqa: ANN201 - boto3's client type is generated at run time
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=KEYS["AWS_REGION"],
                            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"])

    def settings(self) -> dict[str, str]:
        """Config overrides that point a project at this server."""
        return {"storage.endpoint": self.endpoint, "storage.access_key_id": KEYS["AWS_ACCESS_KEY_ID"],
                "storage.secret_access_key": KEYS["AWS_SECRET_ACCESS_KEY"], "storage.region": KEYS["AWS_REGION"]}

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return sorted(out)


def moto_s3() -> Iterator[MotoS3]:
    """A fixture body: one server for the module, stopped after it."""
    server = MotoS3().start()
    try:
        yield server
    finally:
        server.stop()
