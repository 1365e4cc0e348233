// Where a long piece of work spends its time: named stages, each timed around the work it wraps and summed when a
// stage runs more than once. Table runs report theirs (TableRunResult.stages), so a slow run says which step was slow.

export class Stopwatch {
  readonly millis: Record<string, number> = {};

  /** Runs `work`, adding its wall time to `stage` (whether it succeeds or throws). */
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.millis[stage] = Math.round((this.millis[stage] ?? 0) + performance.now() - started);
    }
  }
}
