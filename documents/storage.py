"""Private file storage: patient documents live outside every public URL.

Two backends, chosen by settings (``STORAGES["documents"]``, see npp/settings.py):

- ``PrivateStorage``: files under ``PRIVATE_STORAGE_ROOT`` on local disk, the embedded default;
- ``PrivateS3Storage``: objects in a private S3-compatible bucket (AWS S3, MinIO), when
  ``NPP_S3_BUCKET`` is set, so that several web servers share one document store.

``Document.file`` takes its storage from ``private_storage``, a callable: the migration records
the function, not a backend and its options, so switching backends changes no migration.

Neither backend has a URL. Documents leave the server only through the permission-checking,
logged download view, which reads them with ``open_for_download``.
"""

from __future__ import annotations

import os
from typing import IO, Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db.models.fields.files import FieldFile
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

NO_URL = "Private documents have no URL; use the download view."

# What every object of the bucket is written with, whatever the options say: no ACL (the
# bucket's own, private, default applies, never public-read), server-side encryption requested
# (a server that cannot encrypt refuses the upload rather than storing it in clear), and a
# fresh name rather than overwriting an object. Signed, short-lived URLs should ``url`` ever
# be allowed again; today it refuses.
ENFORCED_S3_OPTIONS: dict[str, Any] = {
    "default_acl": None,
    "querystring_auth": True,
    "querystring_expire": 60,
    "object_parameters": {"ServerSideEncryption": "AES256"},
    "file_overwrite": False,
    "custom_domain": None,
    "gzip": False,
    "signature_version": "s3v4",
}


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_STORAGE_ROOT``, read at use (tests point it at a temp folder).

    There is no URL: documents are served only by the permission-checking download view.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError(NO_URL)


class PrivateS3Storage(S3Storage):
    """Documents in a private S3-compatible bucket (django-storages), with
    ``ENFORCED_S3_OPTIONS`` applied over the options from settings."""

    def __init__(self, **options: Any) -> None:
        enforced = {
            **ENFORCED_S3_OPTIONS,
            "object_parameters": dict(ENFORCED_S3_OPTIONS["object_parameters"]),
        }
        super().__init__(**{**options, **enforced})

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        # A presigned URL would hand the bytes out past the scope check and the access log.
        raise ValueError(NO_URL)

    def open_stream(self, name: str) -> ObjectStream:
        """The object's bytes as a stream, read from the bucket as the response is sent."""
        key = self._normalize_name(clean_name(name))
        try:
            found = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"No object {key} in bucket {self.bucket_name}") from exc
            raise
        return ObjectStream(found["Body"], found["ContentLength"])


class ObjectStream:
    """An object's body (botocore's ``StreamingBody``) with its length, for ``FileResponse``."""

    def __init__(self, body: Any, size: int) -> None:
        self._body = body
        self.size = size

    def read(self, amount: int = -1) -> bytes:
        return self._body.read(None if amount is None or amount < 0 else amount)

    def close(self) -> None:
        self._body.close()


def private_storage() -> Storage:
    """The storage of ``Document.file``: ``STORAGES["documents"]``, local disk if unset."""
    if "documents" not in settings.STORAGES:
        return PrivateStorage()
    return storages["documents"]


def open_for_download(file: FieldFile) -> IO[bytes] | ObjectStream:
    """A document's bytes for the download view: streamed from the bucket, or the file as
    the local disk opens it."""
    open_stream = getattr(file.storage, "open_stream", None)
    if open_stream is not None:
        return open_stream(file.name)
    return file.open("rb")
