#!/bin/sh
# Runs in the minio-init container once MinIO answers: the lake's bucket, and Strata's own user whose policy reaches
# that bucket only (Strata's services never hold MinIO's root credentials). Safe to run again.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing local/strata
cat > /tmp/strata-lake.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], "Resource": ["arn:aws:s3:::strata"] },
    { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], "Resource": ["arn:aws:s3:::strata/*"] }
  ]
}
JSON
mc admin policy create local strata-lake /tmp/strata-lake.json
mc admin user add local strata "$STRATA_S3_SECRET_KEY"
mc admin policy attach local strata-lake --user strata || true # already attached on a second run
