/**
 * A pino destination that pushes log lines straight to Loki's push API (`POST /loki/api/v1/push`, JSON).
 * Lines are batched (up to `batchSize` lines or `intervalMs`), grouped into one stream per level with a
 * few low-cardinality labels. Logging never waits for Loki: when Loki is slow or down, lines beyond
 * `maxBuffered` are dropped (oldest first) and counted, and failures surface as one process warning.
 */

export interface LokiDestinationOptions {
  /** Loki's base URL (http://loki:3100) or the full push URL. */
  url: string;
  /** Stream labels added to every line (service, env). Keep them few and fixed. */
  labels: Record<string, string>;
  /** Default 1000 ms. */
  intervalMs?: number;
  /** Default 500 lines. */
  batchSize?: number;
  /** Default 10 000 lines. */
  maxBuffered?: number;
  /** Per push, default 5000 ms. */
  timeoutMs?: number;
}

interface Entry {
  level: string;
  ns: string;
  line: string;
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

export function lokiPushUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/loki/api/v1/push') ? trimmed : `${trimmed}/loki/api/v1/push`;
}

export class LokiDestination {
  /** Lines dropped because the buffer was full or Loki refused them. */
  dropped = 0;
  /** Lines Loki accepted. */
  sent = 0;
  private buffer: Entry[] = [];
  private readonly pushUrl: string;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly timeoutMs: number;
  private readonly labels: Record<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private warned = false;
  private closed = false;

  constructor(options: LokiDestinationOptions) {
    this.pushUrl = lokiPushUrl(options.url);
    this.labels = options.labels;
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** pino calls this with one serialized line (ending in a newline). */
  write(chunk: string): boolean {
    if (this.closed) return true;
    const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    let level = 'info';
    let ns = `${Date.now()}000000`;
    try {
      const parsed = JSON.parse(line) as { level?: number | string; time?: number };
      if (typeof parsed.level === 'number') level = PINO_LEVELS[parsed.level] ?? 'info';
      else if (typeof parsed.level === 'string') level = parsed.level;
      if (typeof parsed.time === 'number') ns = `${Math.trunc(parsed.time)}000000`;
    } catch {
      // Not JSON: ship it as it is.
    }
    this.buffer.push({ level, ns, line });
    if (this.buffer.length > this.maxBuffered) {
      const excess = this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Pushes what is buffered; resolves when the push is done (never rejects). */
  async flush(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, this.batchSize);
    this.inFlight = this.push(batch).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
    if (this.buffer.length > 0) {
      if (this.closed || this.buffer.length >= this.batchSize) await this.flush();
      else this.schedule();
    }
  }

  private async push(batch: Entry[]): Promise<void> {
    const byLevel = new Map<string, [string, string][]>();
    for (const e of batch) {
      const values = byLevel.get(e.level);
      if (values) values.push([e.ns, e.line]);
      else byLevel.set(e.level, [[e.ns, e.line]]);
    }
    const streams = [...byLevel].map(([level, values]) => ({ stream: { ...this.labels, level }, values }));
    try {
      const res = await fetch(this.pushUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ streams }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) throw new Error(`Loki answered ${res.status}`);
      await res.arrayBuffer().catch(() => undefined);
      this.sent += batch.length;
    } catch (err) {
      this.dropped += batch.length;
      if (!this.warned) {
        this.warned = true;
        process.emitWarning(
          `Pushing logs to Loki failed: ${(err as Error).message}; lines are dropped until it recovers`,
          {
            code: 'ASKPROAI_LOKI_PUSH_FAILED',
          },
        );
      }
    }
  }

  /** Flushes what is left and stops the timer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
