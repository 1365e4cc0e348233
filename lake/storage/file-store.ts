// The file:// backend: a local folder. Writes go to a temporary name and are renamed, so readers see whole files.
import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  filesOlderThan,
  type ObjectInfo,
  type ObjectStore,
  type SweepOptions,
  type SweepResult,
} from './object-store.ts';

const TMP_SUFFIX = '.tmp-';

export class FileStore implements ObjectStore {
  readonly url: string;
  constructor(readonly root: string) {
    this.url = `file://${root}`;
  }

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(this.root + path.sep)) throw new Error(`Object key escapes the lake root: ${key}`);
    return full;
  }

  private async info(key: string): Promise<ObjectInfo> {
    const s = await stat(this.pathOf(key));
    return { key, bytes: s.size, etag: `${s.size}-${Math.trunc(s.mtimeMs)}`, modifiedAt: s.mtime };
  }

  /** Writes through a temporary sibling and renames it into place, so readers never see a partial file. */
  private async writeAtomically(key: string, write: (tmp: string) => Promise<void>): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}${TMP_SUFFIX}${randomUUID()}`;
    await write(tmp);
    await rename(tmp, target);
    return this.info(key);
  }

  putFile(key: string, localPath: string): Promise<ObjectInfo> {
    // A hard link when the file is on the lake's filesystem (lake files are never modified in place), else a copy.
    return this.writeAtomically(key, (tmp) => link(localPath, tmp).catch(() => copyFile(localPath, tmp)));
  }

  putBytes(key: string, bytes: Uint8Array | string): Promise<ObjectInfo> {
    return this.writeAtomically(key, (tmp) => writeFile(tmp, bytes));
  }

  getBytes(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      return await this.info(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    let entries: string[];
    try {
      entries = (await readdir(this.root, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const keys = entries.filter((k) => k.startsWith(prefix) && !k.includes(TMP_SUFFIX)).sort();
    return Promise.all(keys.map((k) => this.info(k)));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async localPath(key: string): Promise<string> {
    return this.pathOf(key);
  }

  async sweep({ before, dryRun }: SweepOptions): Promise<SweepResult> {
    const temporary = (await filesOlderThan(this.root, before)).filter((f) => path.basename(f).includes(TMP_SUFFIX));
    if (!dryRun) await Promise.all(temporary.map((f) => rm(f, { force: true })));
    return { temporary, staleCache: [] };
  }

  urlOf(key: string): string {
    return `${this.url}/${key}`;
  }
}
