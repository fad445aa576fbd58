"""Who may use a server: tokens made with ``binsight tokens``, kept only as hashes, checked on
every call (the token's name is the editor on every correction, a revoked token is refused at
its next call), and TLS with a real certificate, so a client without the CA cannot talk to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from binsight.service.server import BinsightServer
from binsight_client import Client, PermissionDenied, Unauthenticated
from conftest import allow_test_media, make_config
from media_factory import shared_media


def binsight(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "binsight.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120, check=True)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (subjectAltName IP), made with the system's openssl."""
    cert, key = folder / "server.pem", folder / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tokens_are_kept_as_hashes_and_listed_and_revoked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    secret = binsight(data, "tokens", "add", "alice", "--scope", "write").stdout.strip()
    assert secret.startswith("bst_") and len(secret) > 30
    stored = (data / "access" / "tokens.json").read_text()
    assert secret not in stored and secret.removeprefix("bst_") not in stored  # only its hash
    assert oct((data / "access" / "tokens.json").stat().st_mode & 0o777) == "0o600"
    assert [t["name"] for t in json.loads(stored)] == ["alice"]
    listed = binsight(data, "tokens", "list").stdout
    assert "alice" in listed and "write" in listed and "valid" in listed
    binsight(data, "tokens", "revoke", "alice")
    assert "revoked" in binsight(data, "tokens", "list").stdout


@pytest.mark.skipif(not Path("/usr/bin/openssl").exists(), reason="needs the openssl command to make a certificate")
def test_tls_and_tokens_the_token_names_the_editor(tmp_path: Path, tmp_path_factory, monkeypatch) -> None:
    data = tmp_path / "data"
    cert, key = self_signed(tmp_path)
    writer = binsight(data, "tokens", "add", "alice", "--scope", "write").stdout.strip()
    reader = binsight(data, "tokens", "add", "bob", "--scope", "read").stdout.strip()
    allow_test_media(data, shared_media("counter.mp4").parent)
    server = BinsightServer(make_config(data, require_token=True, tls_cert=cert, tls_key=key,
                                        **{"faces.enabled": False, "slates.enabled": False})).start()
    try:
        # without the CA the handshake fails: nothing is answered in the clear
        plain = grpc.insecure_channel(server.address)
        with pytest.raises(grpc.RpcError) as refused:
            plain.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        plain.close()

        monkeypatch.setenv("BINSIGHT_TOKEN", writer)
        with Client(server.address, timeout=300, actor="mallory", tls_ca=str(cert)) as alice:
            alice.ingest([str(shared_media("counter.mp4"))])
            shot = alice.list_shots()[0]
            result = alice.create_bin([shot.shot_id], "Alice's bin")
            assert result.event.actor == "alice"  # the token's name, not what the client claims
            target = result.event.to_id
            assert [e.actor for e in alice.list_feedback()] == ["alice"]

        monkeypatch.setenv("BINSIGHT_TOKEN", reader)
        with Client(server.address, timeout=60, tls_ca=str(cert)) as bob:
            assert len(bob.list_shots()) == 3  # a read token reads
            with pytest.raises(PermissionDenied):
                bob.rename_cluster(target, "Bob's bin")
            binsight(data, "tokens", "revoke", "bob")
            with pytest.raises(Unauthenticated):
                bob.list_shots()  # refused at the next call after the revoke
    finally:
        server.stop()
