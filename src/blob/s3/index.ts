// The production blob store: an S3-compatible bucket through @aws-sdk/client-s3, with presigned URLs
// (SigV4, @aws-sdk/s3-request-presigner). Uploads are presigned PUTs with the content type and length
// signed, so the store itself refuses another length or type; completion checks with HeadObject;
// downloads are presigned GETs that set Content-Type and Content-Disposition on the answer.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { unavailable } from "../../domain/errors";
import type { BlobObject, BlobStore, DownloadSpec, SignedUrl, UploadSpec } from "../../ports/blob";

export type S3BlobOptions = {
  /** The store chatd talks to; unset: AWS's endpoint for the region. */
  endpoint?: string;
  /** The store as clients reach it, for presigned URLs; default `endpoint`. */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  /** Unset: the SDK's default credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  /** Per-request timeout of chatd's own calls (HeadObject, DeleteObject...). */
  timeoutMs?: number;
  /** Clock for signing (ms); the real one when absent. Presigned URLs are valid from this time. */
  now?: () => number;
};

/** SigV4 presigned URLs live at most 7 days. */
const MAX_EXPIRY_SECONDS = 7 * 86_400;

export class S3BlobStore implements BlobStore {
  readonly endpoint = null;
  readonly #client: S3Client;
  /** Signs only (no network): configured with the endpoint clients use, which SigV4 signs into the URL. */
  readonly #signer: S3Client;
  readonly #bucket: string;
  readonly #now: () => number;

  constructor(options: S3BlobOptions) {
    const common = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Non-AWS stores do not all speak the newer default checksums: only when an operation needs one.
      requestChecksumCalculation: "WHEN_REQUIRED" as const,
      responseChecksumValidation: "WHEN_REQUIRED" as const,
    };
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#client = new S3Client({
      ...common,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: Math.min(timeoutMs, 5000), requestTimeout: timeoutMs },
    });
    const publicEndpoint = options.publicEndpoint ?? options.endpoint;
    this.#signer = new S3Client({ ...common, ...(publicEndpoint ? { endpoint: publicEndpoint } : {}) });
    this.#bucket = options.bucket;
    this.#now = options.now ?? Date.now;
  }

  async signUpload(key: string, spec: UploadSpec, ttlMs: number): Promise<SignedUrl> {
    const command = new PutObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ContentType: spec.contentType,
      ContentLength: spec.size,
    });
    // Both headers are signed: a PUT with another length or type fails the signature (403).
    const signed = await this.#presign(command, ttlMs, new Set(["content-type", "content-length"]));
    // Content-Length is not listed: clients send it from the body (browsers may not set it by hand).
    return { ...signed, method: "PUT", headers: { "content-type": spec.contentType } };
  }

  async signDownload(key: string, spec: DownloadSpec, ttlMs: number): Promise<SignedUrl> {
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentType: spec.contentType,
      ResponseContentDisposition: spec.contentDisposition,
      ResponseCacheControl: "private, max-age=60",
    });
    return { ...(await this.#presign(command, ttlMs)), method: "GET", headers: {} };
  }

  /** The origin presigned URLs have (path or virtual-hosted style, custom endpoint or AWS's), read off one. */
  async urlOrigin() {
    const probe = new GetObjectCommand({ Bucket: this.#bucket, Key: "origin" });
    return new URL((await this.#presign(probe, 60_000)).url).origin;
  }

  async stat(key: string): Promise<BlobObject | null> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: Number(head.ContentLength ?? 0), contentType: head.ContentType ?? null };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw unavailable("blobs", error);
    }
  }

  async delete(key: string) {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw unavailable("blobs", error);
    }
  }

  /** Creates the bucket when HeadBucket says it does not exist; a bucket that exists is left as it is. */
  async prepare() {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw unavailable("blobs", error);
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "BucketAlreadyOwnedByYou" || name === "BucketAlreadyExists") return;
      throw unavailable("blobs", error);
    }
  }

  async ping() {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      throw unavailable("blobs", error);
    }
  }

  async close() {
    this.#client.destroy();
    this.#signer.destroy();
  }

  async #presign(
    command: PutObjectCommand | GetObjectCommand,
    ttlMs: number,
    signableHeaders?: Set<string>,
  ): Promise<{ url: string; expiresAt: Date }> {
    // SigV4 dates have whole seconds: sign at the second, so expiresAt is exactly what the store checks.
    const signingMs = Math.floor(this.#now() / 1000) * 1000;
    const expiresIn = Math.min(MAX_EXPIRY_SECONDS, Math.max(1, Math.floor(ttlMs / 1000)));
    const url = await getSignedUrl(this.#signer, command, {
      expiresIn,
      signingDate: new Date(signingMs),
      ...(signableHeaders ? { signableHeaders } : {}),
    });
    return { url, expiresAt: new Date(signingMs + expiresIn * 1000) };
  }
}

/** The HTTP status of an S3 error, or null (network failure, timeout). */
function statusOf(error: unknown): number | null {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode ?? null;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : null;
}
