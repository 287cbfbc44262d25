#!/bin/sh
# docker-compose.yml's one-shot `minio-setup`: the private, encrypted bucket for the documents
# and the application's own MinIO user, allowed that bucket and nothing else. Safe to run again.
set -eu

BUCKET="${NPP_S3_BUCKET:-npp-documents}"
until mc alias set npp http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  echo "waiting for MinIO ..."
  sleep 2
done

mc mb --ignore-existing "npp/$BUCKET"
# No anonymous access, whatever was set before; documents leave only through the app's view.
mc anonymous set none "npp/$BUCKET"
# Encrypt at rest even an object whose upload did not ask for it (the app always asks).
mc encrypt set sse-s3 "npp/$BUCKET"

cat > /tmp/npp-documents.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow",
     "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::$BUCKET"]},
    {"Effect": "Allow",
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::$BUCKET/*"]}
  ]
}
POLICY
mc admin policy create npp npp-documents /tmp/npp-documents.json
mc admin user add npp "$NPP_S3_ACCESS_KEY" "$NPP_S3_SECRET_KEY"
if ! mc admin user info npp "$NPP_S3_ACCESS_KEY" | grep -q "npp-documents"; then
  mc admin policy attach npp npp-documents --user "$NPP_S3_ACCESS_KEY"
fi
echo "Bucket $BUCKET is ready (private, SSE-S3); user $NPP_S3_ACCESS_KEY may use it."
