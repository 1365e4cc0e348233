// Streams the elements of a top-level JSON array out of text chunks, each as its exact source text, without holding
// the whole document: a large dump is read chunk by chunk. Only the structure is scanned (depth, strings, escapes).
// An element longer than the limit is not held whole: it comes out as its first characters, with its length.

/** One element of the array: its text, or for one past the limit, its first characters and its length. */
export interface ArrayElement {
  text: string;
  /** Its position in the array (0 for the first). */
  index: number;
  /** The character of the document where it starts. */
  at: number;
  /** Set when the element was longer than the limit: its length in characters; `text` is then only its start. */
  length?: number;
}

export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private ended = false;
  private current: string[] = [];
  private currentLength = 0;
  private position = 0;
  private index = 0;
  private elementAt = 0;

  constructor(
    private readonly maxLength = Number.POSITIVE_INFINITY,
    private readonly previewLength = 1024,
  ) {}

  /** Adds part of the current element, keeping only its start once it is past the limit. */
  private hold(text: string): void {
    // An element starts at its first character that is not white space.
    const part = this.currentLength === 0 ? text.trimStart() : text;
    if (this.currentLength === 0) this.elementAt += text.length - part.length;
    if (this.currentLength <= this.maxLength) this.current.push(part);
    this.currentLength += part.length;
    if (this.currentLength > this.maxLength && this.current.length) {
      this.current = [this.current.join('').slice(0, this.previewLength)];
    }
  }

  /** Feeds a chunk; returns the elements it completed. Throws on anything but a top-level array. */
  push(chunk: string): ArrayElement[] {
    const out: ArrayElement[] = [];
    let start = 0;
    const flush = (end: number) => {
      this.hold(chunk.slice(start, end));
      const over = this.currentLength > this.maxLength;
      const text = over ? this.current.join('') : this.current.join('').trimEnd();
      if (text) {
        out.push({ text, index: this.index, at: this.elementAt, ...(over ? { length: this.currentLength } : {}) });
        this.index++;
      }
      this.current = [];
      this.currentLength = 0;
      this.elementAt = this.position + 1;
    };
    for (let i = 0; i < chunk.length; i++, this.position++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (!this.started) {
        if (/\s/.test(c)) continue;
        if (c !== '[') throw new Error(`expected a JSON array at byte ${this.position}, found ${JSON.stringify(c)}`);
        this.started = true;
        start = i + 1;
        this.elementAt = this.position + 1;
        continue;
      }
      if (this.ended) {
        if (!/\s/.test(c))
          throw new Error(`unexpected ${JSON.stringify(c)} after the end of the array at byte ${this.position}`);
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        if (this.depth === 0) {
          if (c !== ']') throw new Error(`unbalanced ${c} at byte ${this.position}`);
          flush(i);
          this.ended = true;
          start = i + 1;
          continue;
        }
        this.depth--;
      } else if (c === ',' && this.depth === 0) {
        flush(i);
        start = i + 1;
      }
    }
    if (this.started && !this.ended) this.hold(chunk.slice(start));
    return out;
  }

  /** Call at the end of input: throws if the array never closed. */
  end(): void {
    if (!this.started) throw new Error('the file holds no JSON array');
    if (!this.ended) throw new Error('the JSON array is not closed (truncated file?)');
  }
}
