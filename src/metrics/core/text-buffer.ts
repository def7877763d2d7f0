/**
 * Writes exposition text straight into byte buffers, for the sliced rendering of a scrape. Building
 * the text as strings first costs several bytes of short-lived garbage per byte of output (the
 * concatenation nodes, the flat copy encoding makes, the encoded copy): for 10k histogram series
 * about 80 MB per scrape, which keeps the young-generation collector busy in pauses of 1–8 ms.
 * Here a line is mostly byte copies inside one buffer (a series' `name_bucket{labels,` is written
 * once and copied for every bucket), integers are written digit by digit, and the buffers come from
 * a small pool that a consumer gives them back to when it is done with them (gzip, once it has
 * compressed a piece). Only label text, HELP text and non-integer values are encoded by Node.
 */

/** The size of one piece of output. */
export const PIECE_BYTES = 64 * 1024;

/** Buffers of `PIECE_BYTES`, reused across scrapes; at most `keep` are kept while unused. */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep: number) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES);
  }
  give(buffer: Buffer): void {
    if (buffer.length === PIECE_BYTES && this.free.length < this.keep) this.free.push(buffer);
  }
}

/** A finished piece, and how to hand its buffer back once the consumer is done with it. */
export interface Piece {
  bytes: Buffer;
  release: () => void;
}

const NEWLINE = 10;
const noop = () => {};

/**
 * Digits of non-negative safe integers. `'' + v` for any integer of at most 15 digits has no
 * exponent, so these are the same digits as `formatValue`.
 */
const MAX_DIGITS_VALUE = 999_999_999_999_999;

const EMPTY = Buffer.alloc(0);

export class TextBuffers {
  buf: Buffer;
  pos = 0;
  /** Pieces finished and not yet handed over; the writer's driver takes them from the front. */
  readonly done: Piece[] = [];

  constructor(private readonly pool: BufferPool | null) {
    this.buf = pool ? pool.take() : Buffer.allocUnsafeSlow(PIECE_BYTES);
  }

  /** Whether the current buffer is the pool's: only pieces of `PIECE_BYTES` come from it. */
  private get pooled(): boolean {
    return this.pool !== null && this.buf.length === PIECE_BYTES;
  }

  /**
   * Makes sure `bytes` more fit: finishes the current piece and starts another when they do not,
   * one larger than a piece when a single item needs it.
   */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.finish();
    if (bytes > this.buf.length) {
      if (this.pooled) this.pool!.give(this.buf);
      this.buf = Buffer.allocUnsafeSlow(bytes);
    }
  }

  /**
   * Ends the current piece (if it holds anything) and queues it in `done`; with `more` false no
   * buffer is taken for a next piece (the writer is then only closed).
   */
  finish(more = true): void {
    if (this.pos === 0) return;
    const buf = this.buf;
    let release = noop;
    if (this.pooled) {
      const pool = this.pool!;
      // Once only: a buffer given back twice would be handed to two pieces at the same time.
      let given = false;
      release = () => {
        if (given) return;
        given = true;
        pool.give(buf);
      };
    }
    this.done.push({ bytes: buf.subarray(0, this.pos), release });
    this.buf = !more ? EMPTY : this.pool ? this.pool.take() : Buffer.allocUnsafeSlow(PIECE_BYTES);
    this.pos = 0;
  }

  /** Any text as UTF-8; the caller has made room for `3 * text.length` bytes. */
  text(text: string): void {
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** Pre-encoded bytes; the caller has made room. */
  bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    const buf = this.buf;
    const p = this.pos;
    if (n > 24) buf.set(bytes, p);
    else for (let i = 0; i < n; i++) buf[p + i] = bytes[i]!;
    this.pos = p + n;
  }

  /** Copies `[start, end)` of the current piece to its end; the caller has made room. */
  again(start: number, end: number): void {
    const n = end - start;
    const buf = this.buf;
    const p = this.pos;
    if (n > 24) buf.copyWithin(p, start, end);
    else for (let i = 0; i < n; i++) buf[p + i] = buf[start + i]!;
    this.pos = p + n;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  newline(): void {
    this.buf[this.pos++] = NEWLINE;
  }

  /**
   * A sample value, exactly as `formatValue` writes it: integers digit by digit, anything else through
   * its string form (at most 24 characters). The caller has made room for 24 bytes.
   */
  value(v: number): void {
    if (v >= 0 && v <= MAX_DIGITS_VALUE && Math.floor(v) === v) {
      this.digits(v);
      return;
    }
    const s = Number.isFinite(v) ? '' + v : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : 'NaN';
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  private digits(v: number): void {
    const buf = this.buf;
    let n = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) n++;
    let p = this.pos + n - 1;
    this.pos += n;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[p--] = 48 + (v - q * 10);
      v = q;
    }
    buf[p] = 48 + v;
  }

  /** Gives the unused current buffer back to the pool; the writer is not used after this. */
  close(): void {
    if (this.pooled) this.pool!.give(this.buf);
    this.buf = EMPTY;
    this.pos = 0;
  }
}
