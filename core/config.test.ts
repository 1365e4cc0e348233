import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './errors.ts';
import { loadConfig, PROJECT_ROOT } from './config.ts';

describe('loadConfig', () => {
  it('runs the local demo with no settings at all', () => {
    const config = loadConfig({});
    assert.equal(config.dataDir, `${PROJECT_ROOT}/.strata`);
    assert.equal(config.lakeUrl, `file://${PROJECT_ROOT}/.strata/lake`);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6390/0');
    assert.equal(config.api.port, 8787);
    assert.equal(config.s3.forcePathStyle, true);
  });

  it('resolves a relative file:// lake against the project root and keeps s3:// as given', () => {
    assert.equal(loadConfig({ STRATA_LAKE_URL: 'file://data/lake' }).lakeUrl, `file://${PROJECT_ROOT}/data/lake`);
    assert.equal(loadConfig({ STRATA_LAKE_URL: 's3://bucket/prefix/' }).lakeUrl, 's3://bucket/prefix');
  });

  it('names every bad variable and how to fix it', () => {
    assert.throws(
      () => loadConfig({ STRATA_API_PORT: 'eighty', STRATA_LAKE_URL: 'ftp://x', S3_FORCE_PATH_STYLE: 'maybe' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const name of ['STRATA_API_PORT="eighty"', 'STRATA_LAKE_URL="ftp://x"', 'S3_FORCE_PATH_STYLE="maybe"'])
          assert.match(error.message, new RegExp(`- ${name}`));
        assert.match(error.message, /must start with file:\/\/ or s3:\/\//);
        assert.match(error.message, /docs\/configuration\.md/);
        return true;
      },
    );
  });

  it('treats an empty variable as unset and returns a frozen object', () => {
    const config = loadConfig({ STRATA_API_PORT: '' });
    assert.equal(config.api.port, 8787);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.s3));
  });

  it('never prints a secret: API keys by their length, passwords in URLs masked', () => {
    const key = 'k'.repeat(10);
    assert.throws(
      () =>
        loadConfig({
          STRATA_API_KEYS: `${key},short-secret`,
          DATABASE_URL: 'postgres://strata:hunter2@db:99999/x',
          REDIS_URL: 'redis://:s3cret-pass@:bad port',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const secret of [key, 'short-secret', 'hunter2', 's3cret-pass'])
          assert.ok(!error.message.includes(secret));
        assert.match(error.message, /- STRATA_API_KEYS=<hidden, 23 characters>: each key needs/);
        assert.match(error.message, /- DATABASE_URL="postgres:\/\/strata:\*\*\*@db:99999\/x"/);
        assert.match(error.message, /- REDIS_URL="redis:\/\/:\*\*\*@:bad port"/);
        return true;
      },
    );
  });
});
