// Errors that say how they are handled: runners retry a TransientError and stop on a TerminalError.

/** Context fields an error can carry so a log line or a run record names what failed. */
export interface ErrorContext {
  source?: string;
  table?: string;
  runId?: string;
  file?: string;
  variable?: string;
}

/** Base class: every Strata error carries context and wraps its cause. */
export class StrataError extends Error {
  readonly context: ErrorContext;
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** A dependency is unavailable (network, Redis, S3, PostgreSQL): retry with backoff. */
export class TransientError extends StrataError {}

/** Bad configuration, a contract violation or corrupt input: retrying will not help. */
export class TerminalError extends StrataError {}

/** Configuration is invalid; the message lists each variable and how to fix it. */
export class ConfigError extends TerminalError {}

/** Somebody else committed to the same table since this writer read it. */
export class CommitConflictError extends TransientError {}

/** Another writer took over this writer's entries (the table's fence epoch moved): the batch must be abandoned. */
export class FencedError extends TerminalError {}

/** One line for a user: the message, then each cause's message. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    lines.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n  caused by: ');
}
