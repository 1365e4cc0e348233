// A resumable parser of XREADGROUP replies (RESP2), fed the socket's chunks as they come. It turns each entry into a
// StreamEntry whose envelope bytes are a view of the chunk they arrived in (copied only when they straddle two), with
// no other object per entry: ioredis builds nested arrays of Buffers for the same reply, which made the bronze
// writer's reads its bottleneck (docs/benchmarks.md).
import type { StreamEntry } from './stream-reader.ts';

const CR = 13;
const ENVELOPE = Buffer.from('envelope');

/** The parser's place in the reply's nesting: [streams → [key, entries → [id, fields]]]. */
type Stage = 'top' | 'stream' | 'key' | 'entries' | 'entry' | 'id' | 'fields' | 'field' | 'done';

export class XReadParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private stage: Stage = 'top';
  private entriesLeft = 0;
  private fieldsLeft = 0;
  private fieldCount = 0;
  private id = '';
  private fields: Buffer[] = [];
  private error: string | undefined;
  readonly entries: StreamEntry[] = [];

  /** True once the whole reply has been read (entries hold it), or it was an error (see `failure`). */
  get done(): boolean {
    return this.stage === 'done';
  }

  /** The error Redis answered with, if it did (e.g. NOGROUP). */
  get failure(): string | undefined {
    return this.error;
  }

  /** Adds a chunk and parses as far as it goes; returns `done`. */
  feed(chunk: Buffer): boolean {
    // Only the unparsed tail of the previous chunk is copied: the entries parsed so far keep their views.
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    this.parse();
    return this.done;
  }

  /** The integer of a `<type><digits>\r\n` line at pos, moving past it; undefined when the line is not all here. */
  private header(type: number): number | undefined {
    const buf = this.buf;
    const cr = buf.indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= buf.length) return undefined;
    const first = buf[this.pos]!;
    if (first === 0x2d) {
      // -ERR …: the whole reply is this error.
      this.error = buf.toString('utf8', this.pos + 1, cr);
      this.stage = 'done';
      return undefined;
    }
    if (first !== type)
      throw new Error(
        `unexpected RESP reply: ${JSON.stringify(buf.toString('latin1', this.pos, Math.min(cr, this.pos + 60)))}`,
      );
    let value = 0;
    let i = this.pos + 1;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    for (; i < cr; i++) value = value * 10 + (buf[i]! - 48);
    this.pos = cr + 2;
    return negative ? -value : value;
  }

  /** The bytes of a bulk string at pos (a view), moving past it; null for a nil one; undefined when not all here. */
  private bulk(): Buffer | null | undefined {
    const start = this.pos;
    const length = this.header(0x24); // $
    if (length === undefined) return undefined;
    if (length < 0) return null;
    if (this.pos + length + 2 > this.buf.length) {
      this.pos = start;
      return undefined;
    }
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length + 2;
    return bytes;
  }

  private array(): number | undefined {
    return this.header(0x2a); // *
  }

  private parse(): void {
    for (;;) {
      const at = this.pos;
      switch (this.stage) {
        case 'top': {
          const n = this.array();
          if (n === undefined) {
            this.rewind(at);
            return;
          }
          this.stage = n <= 0 ? 'done' : 'stream'; // *-1: nothing to read (a BLOCK that timed out)
          break;
        }
        case 'stream':
          if (this.array() === undefined) {
            this.rewind(at);
            return;
          }
          this.stage = 'key';
          break;
        case 'key':
          if (this.bulk() === undefined) {
            this.rewind(at);
            return;
          }
          this.stage = 'entries';
          break;
        case 'entries': {
          const n = this.array();
          if (n === undefined) {
            this.rewind(at);
            return;
          }
          this.entriesLeft = Math.max(0, n);
          this.stage = this.entriesLeft ? 'entry' : 'done';
          break;
        }
        case 'entry':
          if (this.array() === undefined) {
            this.rewind(at);
            return;
          }
          this.stage = 'id';
          break;
        case 'id': {
          const id = this.bulk();
          if (id === undefined) {
            this.rewind(at);
            return;
          }
          this.id = id ? id.toString('latin1') : '';
          this.stage = 'fields';
          break;
        }
        case 'fields': {
          const n = this.array();
          if (n === undefined) {
            this.rewind(at);
            return;
          }
          this.fieldCount = this.fieldsLeft = Math.max(0, n);
          this.fields = [];
          if (n <= 0) this.finishEntry();
          else this.stage = 'field';
          break;
        }
        case 'field': {
          const field = this.bulk();
          if (field === undefined) {
            this.rewind(at);
            return;
          }
          this.fields.push(field ?? Buffer.alloc(0));
          if (--this.fieldsLeft === 0) this.finishEntry();
          break;
        }
        case 'done':
          return;
      }
      if (this.error !== undefined) return;
    }
  }

  private rewind(at: number): void {
    if (this.stage !== 'done') this.pos = at;
  }

  private finishEntry(): void {
    const [name, value] = this.fields;
    if (this.fieldCount === 2 && name!.equals(ENVELOPE)) {
      // A view into a chunk this parser will not touch again; the writer copies it into its NDJSON.
      this.entries.push({ id: this.id, data: value });
    } else {
      this.entries.push({
        id: this.id,
        raw: JSON.stringify(this.fieldCount ? this.fields.map((f) => f.toString('utf8')) : null),
      });
    }
    this.stage = --this.entriesLeft > 0 ? 'entry' : 'done';
  }
}
