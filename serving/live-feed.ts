// One LISTEN connection a process for the gold loader's swap notifications, fanned out to every server-sent-events
// subscriber. A lost connection is re-opened with backoff; subscribers are told to re-read what they show.
import pg from 'pg';
import { GOLD_LOADED_CHANNEL } from '../gold/served.ts';

export interface GoldLoaded {
  table: string;
  snapshotId: number;
}

export type LiveListener = (
  event: { type: 'gold-loaded'; data: GoldLoaded } | { type: 'resync'; data: Record<string, never> },
) => void;

export class LiveFeed {
  private readonly listeners = new Set<LiveListener>();
  private client?: pg.Client;
  private stopped = false;
  private retryMillis = 500;

  constructor(private readonly databaseUrl: string) {}

  /** Connects and listens; resolves once listening (or after the first failure, retrying in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.client?.end().catch(() => {});
  }

  private emit(event: Parameters<LiveListener>[0]): void {
    for (const listener of this.listeners) listener(event);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'strata api live feed' });
    this.client = client;
    client.on('notification', (message) => {
      try {
        this.emit({ type: 'gold-loaded', data: JSON.parse(message.payload ?? '{}') as GoldLoaded });
      } catch {
        // A payload we did not write: ignore it rather than break the feed.
      }
    });
    const reconnect = () => {
      if (this.stopped || this.client !== client) return;
      this.client = undefined;
      setTimeout(() => void this.connect(), this.retryMillis).unref();
      this.retryMillis = Math.min(this.retryMillis * 2, 10_000);
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    try {
      await client.connect();
      await client.query(`listen ${GOLD_LOADED_CHANNEL}`);
      if (this.retryMillis > 500) this.emit({ type: 'resync', data: {} }); // notifications may have been missed
      this.retryMillis = 500;
    } catch {
      await client.end().catch(() => {});
      reconnect();
    }
  }
}
