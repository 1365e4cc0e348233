// A bounded queue between a push-based producer (a crawler's handlers, a reader thread's messages) and a pull-based
// consumer (an async generator): a producer awaits room, so a slow consumer slows the producer instead of filling
// memory.

export class AsyncQueue<T> {
  private items: T[] = [];
  private waitingConsumer?: () => void;
  private waitingProducers: (() => void)[] = [];
  private closed = false;
  private failure?: unknown;

  constructor(private readonly highWater = 1000) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.highWater && !this.closed)
      await new Promise<void>((resolve) => this.waitingProducers.push(resolve));
    this.items.push(item);
    this.waitingConsumer?.();
  }

  /** Ends the stream; with an error, the consumer throws it after the items already queued. The first close counts. */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    this.waitingConsumer?.();
    for (const wake of this.waitingProducers.splice(0)) wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        this.waitingProducers.shift()?.();
        continue;
      }
      if (this.closed) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => (this.waitingConsumer = resolve));
      this.waitingConsumer = undefined;
    }
  }
}
