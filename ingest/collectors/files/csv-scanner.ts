// A CSV scanner for the common shape of a file, on bytes: fields either plain (trimmed of spaces and tabs) or quoted
// from their first byte (`""` inside for a quote, newlines allowed), records ended by LF or CRLF, empty lines skipped.
// It gives the cells csv-parse gives for such rows (with trim, relax_column_count and skip_empty_lines), with each
// row's line and byte offset known for free, at several times csv-parse's speed. Anything else (a quote inside a
// plain field, text after a closing quote, a lone CR, a line of blanks, a row longer than the limit, a quote never
// closed) stops it at that row's start: csv-parse reads the rest of the file from there.
import { isAscii } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;

export interface ScannedRow {
  cells: string[];
  /** The line the row starts on (1-based) and its first byte in the file. */
  line: number;
  start: number;
  /**
   * The row's bytes, without its line end, are `chunk[from, to)`: what a dead letter keeps of a bad row (cut out only
   * for such a row).
   */
  chunk: Buffer;
  from: number;
  to: number;
}

/** Where the scanner stopped: the first byte and line it did not read as rows. */
export interface ScanStop {
  byte: number;
  line: number;
}

/**
 * Feeds a file's chunks in order; each `push` returns the whole rows found. `unusual` is set, with where, when a row
 * is not of the shape above: nothing at or after it is returned, and the caller reads on from there another way.
 */
export class CsvScanner {
  private pending: Buffer = Buffer.alloc(0);
  /** The file offset of pending's first byte, and the line it starts. */
  private base = 0;
  private line = 1;
  private started = false;
  /** The chunk being scanned as text, when it is all ASCII (then a byte's offset is its character's). */
  private text?: string;
  unusual?: ScanStop;
  /** The file's first line end: what csv-parse takes as the record delimiter for the whole file. */
  lineEnd?: '\n' | '\r\n';

  constructor(
    private readonly delimiter: number,
    private readonly maxBytes: number,
  ) {}

  /** Whether the delimiter can be scanned for as one byte (anything else goes to csv-parse whole). */
  static scannable(delimiter: string): boolean {
    return delimiter.length === 1 && delimiter.charCodeAt(0) < 0x80 && !'"\r\n \t'.includes(delimiter);
  }

  push(chunk: Buffer, final = false): ScannedRow[] {
    if (this.unusual) return [];
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.started && (buf.length >= 3 || final)) {
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        this.base += 3;
      }
    } else if (!this.started) {
      this.pending = buf;
      return [];
    }
    // A chunk of ASCII (most files) is decoded once, and its cells are cut from that text: far cheaper than decoding
    // each cell on its own.
    this.text = isAscii(buf) ? buf.toString('latin1') : undefined;
    const rows: ScannedRow[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const row = this.row(buf, pos, final);
      if (row === 'incomplete') break;
      if (row === 'unusual') {
        this.unusual = { byte: this.base + pos, line: this.line };
        return rows;
      }
      if (row.cells)
        rows.push({ cells: row.cells, line: this.line, start: this.base + pos, chunk: buf, from: pos, to: row.end! });
      if (!this.lineEnd && row.next > pos) {
        const last = buf[row.next - 1] === LF ? row.next - 1 : -1;
        if (last >= 0) this.lineEnd = buf[last - 1] === CR ? '\r\n' : '\n';
      }
      this.line += row.lines;
      pos = row.next;
    }
    this.pending = pos < buf.length ? buf.subarray(pos) : Buffer.alloc(0);
    this.base += pos;
    if (this.pending.length > this.maxBytes || (final && this.pending.length))
      this.unusual = { byte: this.base, line: this.line };
    return rows;
  }

  /** The row at `pos`: its cells (none for an empty line), the lines it spans and where the next starts. */
  private row(
    buf: Buffer,
    pos: number,
    final: boolean,
  ): { cells?: string[]; end?: number; lines: number; next: number } | 'incomplete' | 'unusual' {
    const n = buf.length;
    if (buf[pos] === LF) return { lines: 1, next: pos + 1 };
    if (buf[pos] === CR && pos + 1 < n && buf[pos + 1] === LF) return { lines: 1, next: pos + 2 };
    const cells: string[] = [];
    let lines = 1;
    let i = pos;
    for (;;) {
      let k: number; // the byte after the field: a delimiter, a line end, or n
      if (buf[i] === QUOTE) {
        let from = i + 1;
        let escaped = false;
        let close: number;
        for (;;) {
          close = buf.indexOf(QUOTE, from);
          if (close < 0) return final ? 'unusual' : 'incomplete';
          if (close + 1 === n && !final) return 'incomplete';
          if (buf[close + 1] !== QUOTE) break;
          escaped = true;
          from = close + 2;
        }
        let value = this.cut(buf, i + 1, close);
        if (escaped) value = value.replaceAll('""', '"');
        for (let at = buf.indexOf(LF, i + 1); at >= 0 && at < close; at = buf.indexOf(LF, at + 1)) lines++;
        cells.push(value);
        k = close + 1;
        const after = buf[k];
        if (k < n && after !== this.delimiter && after !== LF && !(after === CR && buf[k + 1] === LF)) {
          if (after === CR && k + 1 === n && !final) return 'incomplete';
          return 'unusual';
        }
      } else {
        k = i;
        while (k < n) {
          const c = buf[k]!;
          if (c === this.delimiter || c === LF) break;
          if (c === QUOTE) return 'unusual';
          if (c === CR) {
            if (k + 1 === n && !final) return 'incomplete';
            if (buf[k + 1] === LF) break;
            return 'unusual';
          }
          k++;
        }
        if (k === n && !final) return 'incomplete';
        let s = i;
        let e = k;
        while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
        while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
        cells.push(s === e ? '' : this.cut(buf, s, e));
      }
      if (k - pos > this.maxBytes) return 'unusual';
      if (k < n && buf[k] === this.delimiter) {
        i = k + 1;
        continue;
      }
      // The row ends at k (LF, CRLF, or the end of the file).
      if (cells.length === 1 && cells[0] === '' && buf[pos] !== QUOTE) return 'unusual'; // a line of blanks
      const next = k === n ? n : buf[k] === CR ? k + 2 : k + 1;
      return { cells, end: k, lines, next };
    }
  }

  /** The text of `buf[from, to)`. */
  private cut(buf: Buffer, from: number, to: number): string {
    return this.text === undefined ? buf.toString('utf8', from, to) : this.text.slice(from, to);
  }
}
