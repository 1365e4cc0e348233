// Streams the elements of a top-level JSON array out of text chunks, each as its exact source text, without holding
// the whole document: a large dump is read chunk by chunk. Only the structure is scanned (depth, strings, escapes).

export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private ended = false;
  private current: string[] = [];
  private position = 0;

  /** Feeds a chunk; returns the elements it completed. Throws on anything but a top-level array. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    const flush = (end: number) => {
      this.current.push(chunk.slice(start, end));
      const text = this.current.join('').trim();
      this.current = [];
      if (text) out.push(text);
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
    if (this.started && !this.ended) this.current.push(chunk.slice(start));
    return out;
  }

  /** Call at the end of input: throws if the array never closed. */
  end(): void {
    if (!this.started) throw new Error('the file holds no JSON array');
    if (!this.ended) throw new Error('the JSON array is not closed (truncated file?)');
  }
}
