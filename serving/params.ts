// Query parameters several routes share.
import { z } from '@hono/zod-openapi';
import { apiError } from './errors.ts';

/** A `limit` query parameter: digits only, checked against its range by limitOf(). */
export const limitParam = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'an integer')
    .optional()
    .openapi({ description: `1–${max} (default ${fallback})`, example: String(fallback) });

/** The limit asked for, or the default; 400 outside 1–max. */
export function limitOf(raw: string | undefined, max: number, fallback: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (n < 1 || n > max) apiError(400, `limit must be between 1 and ${max}, got ${n}`);
  return n;
}
