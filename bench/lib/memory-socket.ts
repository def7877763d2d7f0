/**
 * Drives a real `http.Server` through an in-memory socket: Node's own HTTP parser, IncomingMessage
 * and ServerResponse (with their real `finish` and `close` events), and the framework's own request
 * handling, without the kernel, loopback TCP or a load generator. Requests are written pipelined in
 * batches; a response is counted when its status line is written.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

const STATUS_LINE = Buffer.from('HTTP/1.1 ');

class MemorySocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 80;
  readonly remoteFamily = 'IPv4';
  onOutput: (chunk: Buffer) => void = () => {};
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.onOutput(chunk);
    callback();
  }
  override _read(): void {}
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

export class MemoryClient {
  private readonly socket = new MemorySocket();
  private awaited = 0;
  private seen = 0;
  private resolve: (() => void) | undefined;
  /** Every status line written, with its status code counted (so a run can check what it drove). */
  readonly statuses = new Map<number, number>();

  constructor(listener: (req: IncomingMessage, res: ServerResponse) => void) {
    const server = createServer({ keepAliveTimeout: 0 }, listener);
    this.socket.onOutput = (chunk) => this.count(chunk);
    server.emit('connection', this.socket);
  }

  /** Writes `batch` (`count` pipelined requests) and resolves when all `count` responses started. */
  send(batch: Buffer, count: number): Promise<void> {
    this.awaited = count;
    this.seen = 0;
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.socket.push(batch);
    });
  }

  private count(chunk: Buffer): void {
    let i = chunk.indexOf(STATUS_LINE);
    while (i !== -1) {
      const code = Number(chunk.toString('latin1', i + 9, i + 12));
      this.statuses.set(code, (this.statuses.get(code) ?? 0) + 1);
      this.seen++;
      i = chunk.indexOf(STATUS_LINE, i + STATUS_LINE.length);
    }
    if (this.seen >= this.awaited && this.resolve !== undefined) {
      const r = this.resolve;
      this.resolve = undefined;
      r();
    }
  }
}

/** `GET` requests for `urls`, keep-alive, as one pipelined buffer. */
export function requestBatch(urls: readonly string[]): Buffer {
  return Buffer.from(
    urls
      .map((u) => `GET ${u} HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n`)
      .join(''),
    'latin1',
  );
}
