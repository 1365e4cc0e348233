// Streams the elements of a top-level JSON array out of byte chunks, each as its exact source bytes, without holding
// the whole document: a large dump is read chunk by chunk. Only the structure is scanned (depth, strings, escapes).
// It works on bytes, not text: every structural character is ASCII, which UTF-8 never uses inside a multi-byte
// character, so each element can then be decoded strictly, and a position is a byte offset in the file.
// An element longer than the limit is not held whole: it comes out as its first bytes, with its length.

/** One element of the array: its bytes, or for one past the limit, its first bytes and its length. */
export interface ArrayElement {
  bytes: Buffer;
  /** Its position in the array (0 for the first). */
  index: number;
  /** The byte of the document where it starts. */
  at: number;
  /** Set when the element was longer than the limit: its length in bytes; `bytes` is then only its start. */
  length?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private ended = false;
  private current: Buffer[] = [];
  private currentLength = 0;
  private position = 0;
  private index = 0;
  private elementAt = 0;

  constructor(
    private readonly maxLength = Number.POSITIVE_INFINITY,
    private readonly previewLength = 1024,
  ) {}

  /** Adds part of the current element, keeping only its start once it is past the limit. */
  private hold(bytes: Buffer): void {
    let part = bytes;
    if (this.currentLength === 0) {
      // An element starts at its first byte that is not white space.
      let skip = 0;
      while (skip < part.length && isSpace(part[skip]!)) skip++;
      part = part.subarray(skip);
      this.elementAt += skip;
    }
    if (this.currentLength <= this.maxLength) this.current.push(part);
    this.currentLength += part.length;
    if (this.currentLength > this.maxLength && this.current.length > 1) {
      this.current = [Buffer.concat(this.current).subarray(0, this.previewLength)];
    }
  }

  /** Feeds a chunk; returns the elements it completed. Throws on anything but a top-level array. */
  push(chunk: Buffer): ArrayElement[] {
    const out: ArrayElement[] = [];
    let start = 0;
    const flush = (end: number) => {
      this.hold(chunk.subarray(start, end));
      const over = this.currentLength > this.maxLength;
      let bytes = this.current.length === 1 ? this.current[0]! : Buffer.concat(this.current);
      if (over) bytes = bytes.subarray(0, this.previewLength);
      else {
        let last = bytes.length;
        while (last > 0 && isSpace(bytes[last - 1]!)) last--;
        bytes = bytes.subarray(0, last);
      }
      if (bytes.length) {
        out.push({ bytes, index: this.index, at: this.elementAt, ...(over ? { length: this.currentLength } : {}) });
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
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (!this.started) {
        if (isSpace(c) || (this.position < 3 && isByteOrderMark(this.position, c))) continue;
        if (c !== OPEN_BRACKET) {
          throw new Error(
            `expected a JSON array at byte ${this.position}, found ${JSON.stringify(String.fromCharCode(c))}`,
          );
        }
        this.started = true;
        start = i + 1;
        this.elementAt = this.position + 1;
        continue;
      }
      if (this.ended) {
        if (!isSpace(c)) {
          throw new Error(
            `unexpected ${JSON.stringify(String.fromCharCode(c))} after the end of the array at byte ${this.position}`,
          );
        }
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 0) {
          if (c !== CLOSE_BRACKET) throw new Error(`unbalanced } at byte ${this.position}`);
          flush(i);
          this.ended = true;
          start = i + 1;
          continue;
        }
        this.depth--;
      } else if (c === COMMA && this.depth === 0) {
        flush(i);
        start = i + 1;
      }
    }
    if (this.started && !this.ended) this.hold(chunk.subarray(start));
    return out;
  }

  /** Call at the end of input: throws if the array never closed. */
  end(): void {
    if (!this.started) throw new Error('the file holds no JSON array');
    if (!this.ended) throw new Error('the JSON array is not closed (truncated file?)');
  }
}

/** A UTF-8 byte order mark (EF BB BF) at the start of a document is not content. */
const isByteOrderMark = (position: number, byte: number) => [0xef, 0xbb, 0xbf][position] === byte;
