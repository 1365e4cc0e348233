// One error shape for every API answer: { "error": { "code", "message" } }, never a stack trace.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeError, TransientError } from '../core/errors.ts';
import { logLine } from '../core/log.ts';
import { classifyPgError } from '../core/postgres.ts';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** PostgreSQL's data exceptions, said in the API's words (its own text names internals). */
const VALUE_PROBLEMS: Record<string, string> = {
  '22007': 'not a date or time PostgreSQL reads (use ISO 8601: 2026-11-20 or 2026-11-20T09:00:00Z)',
  '22008': 'a date or time out of range',
  '22003': "a number out of the column's range",
  '22P02': "a value that does not fit the column's type",
  '22021': 'text that is not valid UTF-8',
};

/** Throws an HTTPException whose JSON body carries a stable code. */
export function apiError(
  status: ContentfulStatusCode,
  message: string,
  code = CODES[status] ?? 'error',
  headers: Record<string, string> = {},
): never {
  throw new HTTPException(status, {
    res: new Response(JSON.stringify({ error: { code, message } }), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    }),
  });
}

/** Maps anything thrown by a handler to the JSON error shape; unknown errors are logged and answered as 500. */
export function onError(error: Error, c: Context): Response {
  if (error instanceof HTTPException) {
    return (
      error.res ?? c.json({ error: { code: CODES[error.status] ?? 'error', message: error.message } }, error.status)
    );
  }
  const pgCode = (error as { code?: string }).code;
  // PostgreSQL rejected a filter value (bad date, number out of range, …): the client's mistake, said plainly.
  if (pgCode && /^22/.test(pgCode))
    return c.json(
      {
        error: {
          code: 'bad_request',
          message: `invalid filter value: ${VALUE_PROBLEMS[pgCode] ?? VALUE_PROBLEMS['22P02']}`,
        },
      },
      400,
    );
  // A table an endpoint reads is not there yet (no gold load so far).
  if (pgCode === '42P01')
    return c.json(
      {
        error: {
          code: 'not_loaded',
          message: 'the gold table this endpoint reads is not loaded yet; run `pnpm job:gold`',
        },
      },
      503,
    );
  if (isUnavailable(error))
    return c.json(
      {
        error: {
          code: 'unavailable',
          message: 'a backing service (PostgreSQL or Redis) is unavailable; retry shortly, and see GET /readyz',
        },
      },
      503,
    );
  console.error(`[api] ${c.req.method} ${c.req.path}:`, error);
  logLine('error', `${c.req.method} ${c.req.path}: ${describeError(error)}`, { details: { stack: error.stack } });
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/** PostgreSQL or Redis cannot be reached (connection refused, reset, pool timeout, server shutting down). */
function isUnavailable(error: Error): boolean {
  const code = (error as { code?: string }).code;
  if ((code && /^(08|57P)/.test(code)) || classifyPgError(error) instanceof TransientError) return true;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /timeout exceeded when trying to connect|Connection terminated|Connection is closed|ECONNREFUSED|Stream isn't writeable/.test(
      error.message,
    )
  );
}

/** Request validation failures (zod) answered in the same error shape, each issue as `- path: message`. */
export function validationHook(
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const issues =
    result.error?.issues.map((i) => `- ${i.path.map(String).join('.') || '(request)'}: ${i.message}`).join('\n') ?? '';
  return c.json({ error: { code: 'bad_request', message: `invalid request:\n${issues}` } }, 400);
}
