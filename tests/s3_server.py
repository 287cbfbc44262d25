"""A real S3-compatible server for tests: moto's standalone server, a subprocess on a free
127.0.0.1 port, spoken to over HTTP by boto3 exactly as AWS or MinIO would be.

Fixtures (imported by tests/conftest.py):

- ``s3_server``: one server for the session, stopped at its end;
- ``s3_documents``: a new, empty, private bucket, and Document.file stored in it for the test
  (through the settings, ``STORAGES["documents"]``, as in production), local disk again after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.smtp_sink import free_port

REGION = "us-east-1"
KEY_ID = "npp-test-key"
SECRET = "npp-test-secret"  # moto checks no signature; AWS and MinIO would


class S3Server:
    """``with S3Server() as server:`` moto's server at ``server.endpoint``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        # Its log goes to a file: a pipe nobody reads fills up and stalls the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed by stop()

    def __enter__(self) -> S3Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        client = self.client(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1})
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError("moto_server exited:\n" + self.log())
            try:
                client.list_buckets()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def client(self, **config: Any):
        """A signed boto3 client, as the application's."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", **config),
        )

    def new_bucket(self) -> str:
        """A new, empty bucket with the default (private) ACL."""
        name = f"npp-test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        """``STORAGES["documents"]["OPTIONS"]`` as npp/settings.py builds them from
        NPP_S3_BUCKET, NPP_S3_ENDPOINT_URL, NPP_S3_REGION, NPP_S3_PREFIX and AWS_*."""
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "addressing_style": "path",
            "location": prefix,
            "access_key": KEY_ID,
            "secret_key": SECRET,
        }

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


def use_bucket(settings, server: S3Server, bucket: str, prefix: str = "") -> Any:
    """Store documents in ``bucket`` from now on, as NPP_S3_BUCKET=bucket would; returns the
    storage. Document.file resolved its callable storage when the models loaded, so the field
    is pointed at the newly configured one too."""
    from documents.models import Document
    from documents.storage import private_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "documents.storage.PrivateS3Storage",
            "OPTIONS": server.storage_options(bucket, prefix),
        },
    }
    storage = private_storage()
    Document._meta.get_field("file").storage = storage
    return storage


@pytest.fixture
def s3_documents(s3_server, settings) -> Iterator[tuple[S3Server, str]]:
    """``(server, bucket)``: documents stored in a new private bucket during the test."""
    from documents.models import Document

    field = Document._meta.get_field("file")
    before = field.storage
    bucket = s3_server.new_bucket()
    use_bucket(settings, s3_server, bucket)
    try:
        yield s3_server, bucket
    finally:
        field.storage = before
