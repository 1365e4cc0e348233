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
    assert.equal(compose.services['minio-init']?.entrypoint?.join(' '), 'sh /minio-init.sh');
    assert.match(
      readFileSync(path.join(PROJECT_ROOT, 'infra/compose/minio-init.sh'), 'utf8'),
      /mc mb --ignore-existing local\/strata/,
    );
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

  it('takes every secret from .env, documented in .env.example, and hard-codes none', () => {
    const text = readFileSync(file, 'utf8');
    const required = [...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
    const example = readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^(\w+)=/gm)].map((m) => m[1]!));
    assert.deepEqual([...new Set(required)].sort(), [
      'MINIO_ROOT_PASSWORD',
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'STRATA_API_DB_PASSWORD',
      'STRATA_DB_PASSWORD',
      'STRATA_ENCRYPTION_KEYS',
      'STRATA_S3_SECRET_KEY',
    ]);
    for (const name of required) assert.ok(documented.has(name), `${name} is in .env.example`);
    // A password is never written in the file: a variable, or a URL whose password is a variable.
    for (const [name, service] of Object.entries(compose.services))
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|AUTH|ENCRYPTION_KEYS/.test(key)) assert.match(value, /^\$\{\w+:\?/, `${name}.${key}`);
        const password = /^\w+:\/\/[^:@/]*:([^@]*)@/.exec(value)?.[1];
        if (password !== undefined) assert.match(password, /^\$\{\w+:\?/, `${name}.${key}`);
      }
  });

  it('runs the API as a read-only role, Redis with a password and without eviction, and MinIO users apart from root', () => {
    const { api, redis, minio } = compose.services;
    assert.match(api!.environment!.DATABASE_URL!, /^postgres:\/\/strata_api:\$\{STRATA_API_DB_PASSWORD:\?/);
    assert.match(api!.environment!.STRATA_ADMIN_DATABASE_URL!, /^postgres:\/\/strata:\$\{STRATA_DB_PASSWORD:\?/);
    const redisCommand = redis!.command!.join(' ');
    assert.match(redisCommand, /--maxmemory-policy noeviction/);
    assert.match(redisCommand, /--requirepass \$\{REDIS_PASSWORD:\?/);
    assert.equal(api!.environment!.S3_ACCESS_KEY_ID, 'strata');
    assert.notEqual(minio!.environment!.MINIO_ROOT_USER, 'strata');
    const roles = readFileSync(path.join(PROJECT_ROOT, 'infra/compose/postgres-init.sh'), 'utf8');
    assert.match(roles, /create role strata_api login/);
    assert.doesNotMatch(roles.replace(/^#.*$/gm, ''), /superuser/i);
    assert.match(readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8'), /^FROM node:24-/m);
  });
});
