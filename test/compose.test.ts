// docker-compose.yml cannot run here (no Docker engine), so it is linted with dclint and checked for what users need.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../core/config.ts';

const file = path.join(PROJECT_ROOT, 'docker-compose.yml');
type Service = {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  ports?: string[];
  environment?: Record<string, string>;
};
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('passes dclint with no errors or warnings', () => {
    const result = spawnSync(path.join(PROJECT_ROOT, 'node_modules/.bin/dclint'), [file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /warning|error/);
  });

  it('runs Redis with AOF, MinIO with its console on 9001 and the bucket created, and PostgreSQL', () => {
    const { redis, minio, postgres } = compose.services;
    assert.ok(redis?.command?.join(' ').includes('--appendonly yes'));
    assert.ok(minio?.command?.join(' ').includes('--console-address :9001'));
    assert.ok(minio?.ports?.some((p) => p.endsWith(':9001')));
    assert.match(compose.services['minio-init']?.entrypoint?.join(' ') ?? '', /mc mb --ignore-existing local\/strata/);
    assert.match(postgres?.image ?? '', /^postgres:/);
  });

  it("builds Strata's API, bronze writer and scheduler from the Dockerfile, pointed at the compose services", () => {
    for (const [name, command] of [
      ['api', 'pnpm serve'],
      ['bronze', 'pnpm bronze'],
      ['scheduler', 'pnpm scheduler --run-now'],
    ] as const) {
      const service = compose.services[name]!;
      assert.equal(service.build, '.');
      assert.equal(service.command?.join(' '), command);
      assert.equal(service.environment?.STRATA_LAKE_URL, 's3://strata/lake');
      assert.equal(service.environment?.S3_ENDPOINT, 'http://minio:9000');
    }
  });
});
