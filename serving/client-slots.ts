// Long-held resources shared by every client (streamed exports, live event streams): at most `total` at once and
// at most `perClient` for one client, so one client cannot take them all.

export type SlotRefusal = 'full' | 'client';

export class ClientSlots {
  private readonly held = new Map<string, number>();
  private count = 0;

  constructor(
    readonly total: number,
    readonly perClient: number,
  ) {}

  get inUse(): number {
    return this.count;
  }

  /** Takes a slot for the client: a release function (safe to call twice), or why there is none. */
  take(client: string): (() => void) | SlotRefusal {
    if (this.count >= this.total) return 'full';
    const mine = this.held.get(client) ?? 0;
    if (mine >= this.perClient) return 'client';
    this.held.set(client, mine + 1);
    this.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
      const left = (this.held.get(client) ?? 1) - 1;
      if (left > 0) this.held.set(client, left);
      else this.held.delete(client);
    };
  }
}
