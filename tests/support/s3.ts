// The S3-compatible server tests use (scripts/services/s3proxy: S3Proxy on 127.0.0.1:9000 with its
// test credentials): settings for a chatd server or an adapter, a bucket of a test's own, and direct
// access to objects (to put what a client could not, and to see what is stored).
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Config } from "../../src/config";

export const S3_HOST = "127.0.0.1";
export const S3_PORT = 9000;
export const S3_ENDPOINT = `http://${S3_HOST}:${S3_PORT}`;
export const S3_CREDENTIALS = { accessKeyId: "chatd-test", secretAccessKey: "chatd-test-secret" };

/** A bucket name no other test run uses (chatd creates it at start). */
export const uniqueBucket = () => `chatd-test-${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** chatd settings for attachments in a fresh bucket of the test S3 server. */
export const s3Overrides = (bucket = uniqueBucket()): Partial<Config> => ({
  s3Endpoint: S3_ENDPOINT,
  s3Bucket: bucket,
  s3Region: "us-east-1",
  s3AccessKeyId: S3_CREDENTIALS.accessKeyId,
  s3SecretAccessKey: S3_CREDENTIALS.secretAccessKey,
  s3ForcePathStyle: true,
});

const client = () =>
  new S3Client({
    endpoint: S3_ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });

/** Stores bytes under a key directly, bypassing chatd's signed URLs. */
export async function putObject(bucket: string, key: string, bytes: Uint8Array, contentType: string) {
  const s3 = client();
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
  } finally {
    s3.destroy();
  }
}

/** Whether the bucket holds the key. */
export async function hasObject(bucket: string, key: string): Promise<boolean> {
  const s3 = client();
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  } finally {
    s3.destroy();
  }
}

/** Deletes every object of the bucket, then the bucket; a bucket that was never made is fine. */
export async function dropBucket(bucket: string) {
  const s3 = client();
  try {
    for (;;) {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch((error) => {
        if ((error as { name?: string }).name === "NoSuchBucket") return null;
        throw error;
      });
      if (!list) return;
      const keys = (list.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      // One by one: DeleteObjects needs a checksum header S3Proxy does not implement.
      await Promise.all(keys.map(({ Key }) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    s3.destroy();
  }
}
