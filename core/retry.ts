// Retries transient failures with exponential backoff and jitter; terminal errors pass straight through.
import { TerminalError } from './errors.ts';

export interface RetryOptions {
  attempts?: number;
  initialDelayMillis?: number;
  maxDelayMillis?: number;
  /** Decides whether an error is worth another attempt; terminal errors never are. */
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMillis: number) => void;
}

/** Runs `fn` until it succeeds, it throws a non-retryable error, or the attempts are spent. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 5, initialDelayMillis = 200, maxDelayMillis = 10_000, isRetryable = () => true } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (error instanceof TerminalError || attempt >= attempts || !isRetryable(error)) throw error;
      const base = backoffMillis(attempt, initialDelayMillis, maxDelayMillis);
      const delayMillis = Math.round(base / 2 + Math.random() * (base / 2));
      options.onRetry?.(error, attempt, delayMillis);
      await sleep(delayMillis);
    }
  }
}

/** The pause after the n-th failure in a row: doubling from `initialMillis`, at most `maxMillis`. */
export const backoffMillis = (failures: number, initialMillis: number, maxMillis: number) =>
  Math.min(maxMillis, initialMillis * 2 ** Math.min(Math.max(failures - 1, 0), 30));

export function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

/** A pause another part of the program can cut short (a signal, a file that arrived, an event). */
export class Nap {
  #wake: (() => void) | undefined;

  /** Waits `millis`, or until wake() is called. */
  sleep(millis: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, millis);
      this.#wake = done;
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.#wake?.();
  }
}
