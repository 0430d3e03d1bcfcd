// The attachment blob port (local directory embedded, S3 in production). Adapters arrive with the
// attachments feature; the shape is fixed here so the core can depend on it.

export type SignedUrl = { url: string; method: "GET" | "PUT"; headers: Record<string, string>; expiresAt: Date };

export interface BlobStore {
  /** A URL the client PUTs the object to, valid until `expiresAt`. */
  signUpload(key: string, contentType: string, size: number, ttlMs: number): Promise<SignedUrl>;
  signDownload(key: string, filename: string, ttlMs: number): Promise<SignedUrl>;
  /** Size in bytes, or null when the object does not exist. */
  stat(key: string): Promise<number | null>;
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
