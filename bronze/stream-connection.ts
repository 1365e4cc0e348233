// A Redis connection of the bronze writer's own, for its hot path only: XREADGROUP of new entries, parsed by
// XReadParser as the bytes come. Everything else (acknowledges, claims, scripts) goes through ioredis.
import net from 'node:net';
import tls from 'node:tls';
import { TransientError } from '../core/errors.ts';
import type { StreamEntry } from './stream-reader.ts';
import { XReadParser } from './xread-parser.ts';

/** A command in RESP: an array of bulk strings. */
function encode(args: (string | number)[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    text += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return Buffer.from(text);
}

/** How long past its BLOCK a read may take before the connection is taken for broken. */
const READ_GRACE_MILLIS = 30_000;

export class StreamConnection {
  private socket: net.Socket | undefined;
  private ready: Promise<void> | undefined;
  private onData: ((chunk: Buffer) => void) | undefined;
  private onFailure: ((error: Error) => void) | undefined;

  constructor(private readonly url: string) {}

  /** XREADGROUP GROUP <group> <consumer> COUNT <count> [BLOCK <ms>] STREAMS <key> > */
  async readGroup(
    group: string,
    consumer: string,
    key: string,
    count: number,
    blockMillis: number,
  ): Promise<StreamEntry[]> {
    await this.connect();
    const args: (string | number)[] = ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', count];
    if (blockMillis > 0) args.push('BLOCK', blockMillis);
    args.push('STREAMS', key, '>');
    const parser = new XReadParser();
    await this.request(args, (chunk) => parser.feed(chunk), blockMillis + READ_GRACE_MILLIS);
    if (parser.failure) throw new TransientError(`Redis refused XREADGROUP on ${key}: ${parser.failure}`);
    return parser.entries;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.ready = undefined;
  }

  /** Sends one command; `consume` is given the reply's chunks until it says the reply is whole. */
  private request(
    args: (string | number)[],
    consume: (chunk: Buffer) => boolean,
    timeoutMillis: number,
  ): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new TransientError('the Redis connection closed'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new TransientError(`Redis did not answer within ${timeoutMillis} ms`)),
        timeoutMillis,
      );
      const done = () => {
        clearTimeout(timer);
        this.onData = this.onFailure = undefined;
      };
      const fail = (error: Error) => {
        done();
        this.close();
        reject(error);
      };
      this.onFailure = fail;
      this.onData = (chunk) => {
        let whole: boolean;
        try {
          whole = consume(chunk);
        } catch (error) {
          return fail(new TransientError('Redis sent a reply the stream reader cannot parse', { cause: error }));
        }
        if (whole) {
          done();
          resolve();
        }
      };
      socket.write(encode(args));
    });
  }

  private connect(): Promise<void> {
    this.ready ??= this.open().catch((error: unknown) => {
      this.close();
      throw error instanceof TransientError
        ? error
        : new TransientError(`cannot connect to Redis at ${this.url.replace(/\/\/[^@]*@/, '//***@')}`, {
            cause: error,
          });
    });
    return this.ready;
  }

  private async open(): Promise<void> {
    const url = new URL(this.url);
    const port = Number(url.port || 6379);
    const socket =
      url.protocol === 'rediss:'
        ? tls.connect({ host: url.hostname, port, servername: url.hostname })
        : net.connect({ host: url.hostname, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData?.(chunk));
    // A connection that fails or closes is dropped: the request in flight (if any) fails, the next one reconnects.
    const lost = (error: Error) => {
      if (this.socket === socket) this.close();
      this.onFailure?.(error);
    };
    socket.on('error', (error) => lost(new TransientError('the Redis connection failed', { cause: error })));
    socket.on('close', () => lost(new TransientError('the Redis connection closed')));
    await new Promise<void>((resolve, reject) => {
      socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const password = decodeURIComponent(url.password);
    const user = decodeURIComponent(url.username);
    if (password) await this.simple(user ? ['AUTH', user, password] : ['AUTH', password]);
    const db = Number(url.pathname.slice(1) || 0);
    if (db) await this.simple(['SELECT', db]);
    await this.simple(['CLIENT', 'SETNAME', 'strata-bronze-reader']);
  }

  /** A command whose reply is one line (+OK or -ERR …). */
  private async simple(args: (string | number)[]): Promise<void> {
    let line = '';
    await this.request(
      args,
      (chunk) => {
        line += chunk.toString('latin1');
        return line.includes('\r\n');
      },
      10_000,
    );
    if (line.startsWith('-')) throw new TransientError(`Redis refused ${args[0]}: ${line.trim().slice(1)}`);
  }
}
