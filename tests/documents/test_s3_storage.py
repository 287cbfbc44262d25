"""Documents on S3-compatible object storage (issue 18, item 4), against a real S3 server on
127.0.0.1 (moto's, tests/s3_server.py): uploads go through the upload service into a private
bucket with server-side encryption requested, downloads through the scoped and logged view,
and a refused or failed upload leaves no object behind."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse

from documents.demo import simple_pdf
from documents.models import Document, DocumentAccess, DocumentType
from documents.services import document_upload
from documents.storage import PrivateS3Storage, PrivateStorage, private_storage
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def storage_in(env: dict[str, str]) -> subprocess.CompletedProcess:
    """What ``private_storage()`` is in a fresh process with ``env`` (and no AWS_* of ours)."""
    script = (
        "import json, django; django.setup()\n"
        "from documents.models import Document\n"
        "s = Document._meta.get_field('file').storage\n"
        "keys = ['bucket_name', 'endpoint_url', 'region_name', 'addressing_style', 'location',"
        " 'access_key', 'default_acl', 'querystring_auth', 'querystring_expire',"
        " 'object_parameters', 'file_overwrite']\n"
        "print(json.dumps({'class': type(s).__name__, **{k: getattr(s, k, None) for k in keys}}))\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "AWS_", "NPP_S3_"))
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "npp.settings", **env},
    )


def upload(case, by, data: bytes | None = None) -> Document:
    return document_upload(
        case=case,
        document_type=DocumentType.objects.get(code="prescription"),
        data=data or simple_pdf("Prescription", [case.reference]),
        filename="Prescription scan.pdf",
        by=by,
    )


def requests_made(storage, operation: str) -> list[dict[str, str]]:
    """Headers of every ``operation`` request ``storage`` sends from now on (a live list)."""
    seen: list[dict[str, str]] = []

    def record(request, **_) -> None:
        seen.append(
            {
                name.lower(): value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
        )

    storage.connection.meta.client.meta.events.register(f"before-send.s3.{operation}", record)
    return seen


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


# --- Which storage the settings choose ----------------------------------------------------------


def test_without_a_bucket_documents_stay_on_local_disk():
    assert isinstance(private_storage(), PrivateStorage)
    assert isinstance(Document._meta.get_field("file").storage, PrivateStorage)


def test_a_bucket_in_the_environment_puts_documents_on_private_encrypted_s3(tmp_path):
    result = storage_in(
        {
            "NPP_VAR_DIR": str(tmp_path),
            "NPP_S3_BUCKET": "npp-documents",
            "NPP_S3_ENDPOINT_URL": "http://minio:9000",
            "NPP_S3_REGION": "us-east-1",
            "NPP_S3_PREFIX": "/documents/",
            "AWS_ACCESS_KEY_ID": "npp-app",
            "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
        }
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "class": "PrivateS3Storage",
        "bucket_name": "npp-documents",
        "endpoint_url": "http://minio:9000",
        "region_name": "us-east-1",
        "addressing_style": "path",
        "location": "documents",
        "access_key": "npp-app",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 60,
        "object_parameters": {"ServerSideEncryption": "AES256"},
        "file_overwrite": False,
    }


def test_a_bad_endpoint_url_stops_the_settings_from_loading(tmp_path):
    result = storage_in(
        {
            "NPP_VAR_DIR": str(tmp_path),
            "NPP_S3_BUCKET": "npp-documents",
            "NPP_S3_ENDPOINT_URL": "minio:9000",
        }
    )

    assert result.returncode != 0
    assert "NPP_S3_ENDPOINT_URL must start with https:// or http://" in result.stderr


def test_options_cannot_make_the_bucket_public_or_unencrypted():
    storage = PrivateS3Storage(
        bucket_name="b",
        default_acl="public-read",
        querystring_auth=False,
        object_parameters={"ACL": "public-read"},
        file_overwrite=True,
    )

    assert storage.default_acl is None
    assert storage.querystring_auth is True
    assert storage.object_parameters == {"ServerSideEncryption": "AES256"}
    assert storage.file_overwrite is False


# --- Uploads --------------------------------------------------------------------------------------


def test_an_upload_stores_one_private_object_with_encryption_requested(
    s3_documents, case_a, doctor1
):
    server, bucket = s3_documents
    puts = requests_made(private_storage(), "PutObject")
    data = simple_pdf("Prescription", [case_a.reference])

    document = upload(case_a, doctor1, data)

    assert server.keys(bucket) == [document.file.name]
    assert [headers.get("x-amz-server-side-encryption") for headers in puts] == ["AES256"]
    assert not any("x-amz-acl" in headers for headers in puts)
    client = server.client()
    assert (
        client.head_object(Bucket=bucket, Key=document.file.name)["ServerSideEncryption"]
        == "AES256"
    )
    stored = client.get_object(Bucket=bucket, Key=document.file.name)["Body"].read()
    assert stored == data
    assert hashlib.sha256(stored).hexdigest() == document.sha256
    grants = client.get_object_acl(Bucket=bucket, Key=document.file.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    with Document.objects.get(pk=document.pk).file.open("rb") as handle:  # as packets read it
        assert handle.read() == data


def test_the_object_is_not_publicly_readable(s3_documents, case_a, doctor1):
    server, bucket = s3_documents
    document = upload(case_a, doctor1)
    # The server does serve an object whose ACL allows it, so a refusal below is the
    # bucket's privacy, not a server that refuses everyone.
    server.client().put_object(Bucket=bucket, Key="control.txt", Body=b"public", ACL="public-read")

    assert anonymous_get(f"{server.endpoint}/{bucket}/control.txt") == 200
    assert anonymous_get(f"{server.endpoint}/{bucket}/{document.file.name}") == 403


def test_a_refused_upload_leaves_no_object(s3_documents, case_a, doctor1):
    server, bucket = s3_documents
    puts = requests_made(private_storage(), "PutObject")

    with pytest.raises(Exception, match="PDF"):
        upload(case_a, doctor1, data=b"%PDF-1.4 not really a PDF")

    assert puts == []
    assert server.keys(bucket) == []
    assert not Document.objects.exists()


def test_a_database_failure_after_the_object_was_written_removes_it(
    s3_documents, case_a, doctor1, monkeypatch
):
    server, bucket = s3_documents
    puts = requests_made(private_storage(), "PutObject")

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Document, "save", lost)
    with pytest.raises(OperationalError):
        upload(case_a, doctor1)
    monkeypatch.undo()

    assert len(puts) == 1  # the object was written, then removed again
    assert server.keys(bucket) == []
    assert not Document.objects.exists()


# --- Downloads ------------------------------------------------------------------------------------


def test_the_download_view_streams_the_object_and_logs_the_download(
    s3_documents, client, case_a, doctor1
):
    data = simple_pdf("Prescription", [case_a.reference])
    document = upload(case_a, doctor1, data)
    client.force_login(doctor1)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == data
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Prescription scan.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    log = DocumentAccess.objects.get()
    assert (log.document_id, log.username, log.action) == (document.pk, "doctor1", "download")


def test_a_download_outside_the_scope_is_404_and_reads_no_object(
    s3_documents, client, case_a, doctor1, doctor2
):
    document = upload(case_a, doctor1)
    gets = requests_made(private_storage(), "GetObject")
    client.force_login(doctor2)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 404
    assert gets == []
    assert not DocumentAccess.objects.exists()


def test_documents_on_s3_have_no_url(s3_documents, case_a, doctor1):
    document = upload(case_a, doctor1)

    with pytest.raises(ValueError, match="use the download view"):
        document.file.url  # noqa: B018


def test_a_facilitator_downloads_a_reviewed_document_from_s3(s3_documents, client, facilitator):
    server, bucket = s3_documents
    case = factories.CaseFactory(facilitator=facilitator)
    document = factories.upload_document(case, "prescription", facilitator)
    client.force_login(facilitator)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256
    assert server.keys(bucket) == [document.file.name]


# --- The other readers and deleters of stored documents -----------------------------------------


def test_a_packet_is_built_from_objects_and_stored_as_one(s3_documents, facilitator):
    from documents.packets.services import packet_build
    from tests.documents.test_packets import demo_case

    server, bucket = s3_documents
    case = demo_case(facilitator)
    enclosures = set(server.keys(bucket))

    packet = packet_build(case=case, kind="application", by=facilitator)

    assert set(server.keys(bucket)) == enclosures | {packet.file.name}
    stored = server.client().get_object(Bucket=bucket, Key=packet.file.name)["Body"].read()
    assert stored.startswith(b"%PDF")
    assert hashlib.sha256(stored).hexdigest() == packet.sha256


def test_anonymising_a_patient_deletes_their_objects_once_committed(
    s3_documents, case_a, doctor1, django_capture_on_commit_callbacks
):
    from cases.privacy import patient_anonymise

    server, bucket = s3_documents
    upload(case_a, doctor1)

    with django_capture_on_commit_callbacks(execute=True):
        patient_anonymise(case_a.patient)

    assert server.keys(bucket) == []
