// Opens the lake's object store from its URL: file://<folder> or s3://<bucket>[/<prefix>].
import path from 'node:path';
import type { Config } from '../../core/config.ts';
import { ConfigError } from '../../core/errors.ts';
import { FileStore } from './file-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3Store } from './s3-store.ts';

export type { ObjectInfo, ObjectStore } from './object-store.ts';

export function openStore(config: Pick<Config, 'lakeUrl' | 's3' | 'dataDir'>): ObjectStore {
  const { lakeUrl } = config;
  if (lakeUrl.startsWith('file://')) return new FileStore(path.resolve(lakeUrl.slice('file://'.length)));
  if (lakeUrl.startsWith('s3://')) return new S3Store(lakeUrl, config.s3, path.join(config.dataDir, 'cache', 's3'));
  throw new ConfigError(
    `STRATA_LAKE_URL=${lakeUrl} is not supported; use file://<folder> or s3://<bucket>[/<prefix>]`,
    {
      context: { variable: 'STRATA_LAKE_URL' },
    },
  );
}
