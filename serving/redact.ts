// What an anonymous reader may see of an internal error: its first line, with URLs cut to their origin (no
// credentials, path or query: a token in a URL stays private) and absolute paths to their last part. A key holder
// sees the whole text (decision 0031).

const MAX_CHARS = 300;
const URL_PATTERN = /\b([a-z][\w+.-]*:\/\/)(?:[^\s/@'"<>]*@)?([^\s/?#'"<>]*)[^\s'"<>]*/gi;
const PATH_PATTERN = /(^|[\s'"(=:,])(?:\/[^\s/'"():,]+)+\/([^\s/'"():,]+)/g;

/** The error as anyone may read it. */
export function redactError(text: string): string {
  const line = text.split('\n', 1)[0]!;
  const redacted = line.replace(URL_PATTERN, '$1$2/…').replace(PATH_PATTERN, '$1…/$2');
  return redacted.length > MAX_CHARS ? `${redacted.slice(0, MAX_CHARS - 1)}…` : redacted;
}

/** Every string inside a value (run details) redacted the same way. */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactError(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  return value;
}
