// The s3:// backend (MinIO, AWS S3, s3rver) through @aws-sdk/client-s3. Network and 5xx errors are transient and
// retried with backoff; reads are staged into a local cache keyed by object name and ETag so DuckDB reads local files.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../../core/config.ts';
import { TransientError } from '../../core/errors.ts';
import { withRetry } from '../../core/retry.ts';
import {
  filesOlderThan,
  type ObjectInfo,
  type ObjectStore,
  type SweepOptions,
  type SweepResult,
} from './object-store.ts';

// The SDK warns on every start that releases after January 2027 will need Node 22. The lockfile pins a release that
// supports Node 20 (our documented target); the upgrade is a decision for docs/decisions, not a line in every log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The SDK logs each failed attempt itself; ours are retried by withRetry and reported once, with context. */
const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Files from this size up are uploaded in parts (S3 caps a single PUT at 5 GiB; parts also retry alone). */
export const MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
const PART_BYTES = 8 * 1024 * 1024;

const cleanEtag = (etag: string | undefined) => (etag ?? '').replaceAll('"', '');

const isNotFound = (error: unknown) =>
  error instanceof S3ServiceException &&
  (error.$metadata.httpStatusCode === 404 || ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(error.name));

/** S3 4xx answers are terminal (except throttling); everything else (network, 5xx) is worth another try. */
const isRetryable = (error: unknown) => {
  if (!(error instanceof S3ServiceException)) return true;
  const status = error.$metadata.httpStatusCode ?? 500;
  return status >= 500 || status === 429 || error.name === 'SlowDown';
};

export class S3Store implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private bucketChecked = false;
  /** Uploads made so far, by kind. */
  readonly uploads = { single: 0, multipart: 0 };

  constructor(
    url: string,
    s3: Config['s3'],
    private readonly cacheDir: string,
  ) {
    const parsed = new URL(url);
    this.bucket = parsed.hostname;
    this.prefix = parsed.pathname.replace(/^\/+|\/+$/g, '');
    this.url = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // s3rver and older MinIO reject the SDK's default CRC checksums; only send them when an operation requires one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1, // retries are ours (withRetry), so a long outage is visible and bounded
      logger: quietLogger,
    });
  }

  private objectKey(key: string) {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { attempts: 8, initialDelayMillis: 250, maxDelayMillis: 8000, isRetryable }).catch(
      (error: unknown) => {
        if (isNotFound(error) || !isRetryable(error)) throw error;
        throw new TransientError(`S3 ${what} failed at ${this.url}`, { cause: error });
      },
    );
  }

  /** Creates the bucket on first use when it does not exist yet. */
  private async ensureBucket(): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.call('HeadBucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.call('CreateBucket', () => this.client.send(new CreateBucketCommand({ Bucket: this.bucket })));
    }
    this.bucketChecked = true;
  }

  async putFile(key: string, localPath: string): Promise<ObjectInfo> {
    await this.ensureBucket();
    const { size } = await stat(localPath);
    if (size >= MULTIPART_THRESHOLD_BYTES) {
      const out = await this.call('multipart upload', () =>
        new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: this.objectKey(key), Body: createReadStream(localPath) },
          partSize: PART_BYTES,
          queueSize: 2,
          leavePartsOnError: false, // a failed upload is aborted, so no parts are left behind to pay for
        }).done(),
      );
      this.uploads.multipart++;
      return { key, bytes: size, etag: cleanEtag(out.ETag), modifiedAt: new Date() };
    }
    this.uploads.single++;
    const out = await this.call('PutObject', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: createReadStream(localPath),
          ContentLength: size,
        }),
      ),
    );
    return { key, bytes: size, etag: cleanEtag(out.ETag), modifiedAt: new Date() };
  }

  async putBytes(key: string, bytes: Uint8Array | string): Promise<ObjectInfo> {
    await this.ensureBucket();
    const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const out = await this.call('PutObject', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body })),
    );
    return { key, bytes: body.byteLength, etag: cleanEtag(out.ETag), modifiedAt: new Date() };
  }

  async getBytes(key: string): Promise<Buffer> {
    const out = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    );
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.call('HeadObject', () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
      );
      return {
        key,
        bytes: out.ContentLength ?? 0,
        etag: cleanEtag(out.ETag),
        modifiedAt: out.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.ensureBucket();
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    do {
      const page = await this.call('ListObjectsV2', () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.objectKey(prefix), ContinuationToken: token }),
        ),
      );
      for (const o of page.Contents ?? [])
        found.push({
          key: o.Key!.slice(strip),
          bytes: o.Size ?? 0,
          etag: cleanEtag(o.ETag),
          modifiedAt: o.LastModified ?? new Date(0),
        });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(key: string): Promise<void> {
    await this.call('DeleteObject', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    );
  }

  async localPath(key: string): Promise<string> {
    const info = await this.head(key);
    if (!info) throw new Error(`No object ${this.urlOf(key)}`);
    const cached = path.join(this.cacheDir, this.bucket, `${this.objectKey(key)}.${info.etag || 'noetag'}`);
    try {
      await stat(cached);
      return cached;
    } catch {
      // not cached yet
    }
    await mkdir(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.part-${process.pid}`;
    const out = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    );
    await pipeline(out.Body as Readable, createWriteStream(tmp));
    await rename(tmp, cached);
    return cached;
  }

  async sweep({ before, known, dryRun }: SweepOptions): Promise<SweepResult> {
    const root = path.join(this.cacheDir, this.bucket);
    const temporary: string[] = [];
    const staleCache: string[] = [];
    for (const file of await filesOlderThan(root, before)) {
      if (/\.part-\d+$/.test(file)) {
        temporary.push(file);
        continue;
      }
      // A cached copy is named `<object key>.<etag>`.
      const objectKey = path
        .relative(root, file)
        .split(path.sep)
        .join('/')
        .replace(/\.[^./]*$/, '');
      const key = this.prefix ? objectKey.slice(this.prefix.length + 1) : objectKey;
      if (!known.has(key)) staleCache.push(file);
    }
    if (!dryRun) await Promise.all([...temporary, ...staleCache].map((f) => rm(f, { force: true })));
    return { temporary, staleCache };
  }

  urlOf(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }
}
