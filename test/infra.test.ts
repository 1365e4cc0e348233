// Local mode's service management against the real services `pnpm test` started.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig, readDotenv } from '../core/config.ts';
import { servicesStatus, servicesUp } from '../infra/local/index.ts';
import { baseConfig } from './support/isolated.ts';

describe('local services', () => {
  let stranger: net.Server;
  let strangerPort: number;
  before(async () => {
    // Something that listens but does not speak Redis.
    stranger = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    strangerPort = (stranger.address() as AddressInfo).port;
  });
  after(() => {
    stranger.close();
  });

  it('reuses healthy services already on their ports instead of starting more', async () => {
    const statuses = await servicesUp(baseConfig(), ['redis', 'postgres', 's3']);
    assert.deepEqual(
      statuses.map((s) => [s.name, s.state]),
      [
        ['redis', 'reused'],
        ['postgres', 'reused'],
        ['s3', 'reused'],
      ],
    );
  });

  it('refuses a port held by something else, naming the port and the fix', async () => {
    const config = loadConfig({ ...readDotenv(), ...process.env, REDIS_URL: `redis://127.0.0.1:${strangerPort}/0` });
    await assert.rejects(
      servicesUp(config, ['redis']),
      new RegExp(
        `Port 127\\.0\\.0\\.1:${strangerPort} is taken by something that is not a usable redis server.*docs/configuration\\.md`,
      ),
    );
    const [status] = await servicesStatus(config, ['redis']);
    assert.equal(status!.state, 'port taken by another program');
  });
});
