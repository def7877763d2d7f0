import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import Fastify from 'fastify';
import { catalog } from '../../src/metrics/catalog.ts';
import { writeFamiliesSliced } from '../../src/metrics/core/exposition.ts';
import { Registry as CoreRegistry, type Registry } from '../../src/metrics/core/registry.ts';
import { BufferPool, TextBuffers } from '../../src/metrics/core/text-buffer.ts';
import { createMetricsEndpoint } from '../../src/metrics/endpoint.ts';
import { fastifyMetricsEndpoint } from '../../src/metrics/http/fastify.ts';
import { nodeMetricsHandler } from '../../src/metrics/http/node.ts';
import { createRegistry } from '../../src/metrics/registry.ts';
import { waitFor } from '../support/wait.ts';
import { startApp, TOKEN as TOKEN_APPS } from './apps.ts';

const TOKEN = 'sliced-token-4f1c9a7e2b3d4c5e6f708192a3b4c5d6';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A registry with `n` HTTP histogram series and as many counter series. */
/** An endpoint body's bytes: a compressed body comes as zlib's pieces. */
function bytesOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.concat(body as Buffer[]);
}

/** Counts the buffers the rendering allocates (`Buffer.allocUnsafeSlow`) until `stop()`. */
function countNewBuffers(): { count: number; stop(): void } {
  const allocate = Buffer.allocUnsafeSlow;
  const counter = {
    count: 0,
    stop() {
      Buffer.allocUnsafeSlow = allocate;
    },
  };
  Buffer.allocUnsafeSlow = (size: number) => {
    counter.count++;
    return allocate(size);
  };
  return counter;
}

function bigRegistry(n: number): Registry {
  const registry = createRegistry({ maxSeries: n + 10 });
  const durations = registry.histogram(catalog.httpRequestDuration);
  const requests = registry.counter(catalog.httpRequestsTotal);
  for (let i = 0; i < n; i++) {
    durations.with3('GET', `/api/v1/companies/cmp_${i}/bookings/:id`, 200).observe((i % 97) / 100);
    requests.with3('POST', `/api/v1/companies/cmp_${i}/calls`, 201).inc(i);
  }
  return registry;
}

/** Counts event-loop turns (setImmediate callbacks) while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const result = await work();
  running = false;
  return { result, turns };
}

describe('sliced exposition', () => {
  test('renders the same text as the single-shot writer, in both formats', async () => {
    const registry = bigRegistry(3000);
    for (const format of ['text', 'openmetrics'] as const) {
      const chunks = await registry.exposeSliced(format, { sliceMs: 0 });
      assert.equal(Buffer.concat(chunks).toString('utf8'), registry.expose(format));
    }
  });

  test('writes byte for byte what the string writer writes, for any labels, values and exemplars', async () => {
    // Label values of any Unicode (escaped quotes, backslashes, newlines), values of any kind
    // (fractions, huge integers, negative, NaN, infinities), empty label sets and exemplars.
    const value = fc.oneof(
      fc.nat(),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double(),
      fc.constantFrom(0, -0, 1e15 - 1, 1e15, 2 ** 53, 1e21, 0.1, 1 / 3, -1e-7),
    );
    const labelValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    const histogramValues = fc.array(
      fc.tuple(labelValue, fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { maxLength: 6 })),
      { maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(labelValue, labelValue, value), { maxLength: 30 }),
        fc.array(value, { maxLength: 1 }),
        histogramValues,
        fc.array(fc.tuple(fc.double({ min: 0, max: 20, noNaN: true }), fc.stringMatching(/^[0-9a-f]{32}$/)), {
          maxLength: 4,
        }),
        fc.string({ maxLength: 80 }),
        async (counters, unlabelled, histograms, traced, help) => {
          const registry = new CoreRegistry({ namespace: 'p', maxSeries: 100 });
          const c = registry.counter({ name: 'c_total', type: 'counter', help, labels: ['a', 'b'] });
          for (const [a, b, v] of counters) c.with2(a, b).inc(Math.abs(v) || 0);
          const g = registry.gauge({ name: 'g', type: 'gauge', help: 'gauge \\ "q"\n', labels: [] });
          for (const v of unlabelled) g.get().set(v);
          const hDef = {
            name: 'h_seconds',
            type: 'histogram',
            help,
            labels: ['route'],
            buckets: [0.005, 0.1, 1, 2.5, 10],
          } as const;
          const h = registry.histogram(hDef);
          for (const [route, observations] of histograms)
            for (const o of observations) h.with1(route).observe(o);
          const t = registry.histogram({ ...hDef, name: 't_seconds', labels: [] });
          traced.forEach(([v, traceId], i) => {
            t.get().observeTraced(v, traceId, 1_700_000_000_000 + 20_000 * i);
          });
          for (const format of ['text', 'openmetrics'] as const) {
            const expected = Buffer.from(registry.expose(format), 'utf8');
            const collected = Buffer.concat(await registry.exposeSliced(format, { sliceMs: 0 }));
            assert.ok(
              collected.equals(expected),
              `${format}: ${collected.toString()} !== ${expected.toString()}`,
            );
            // Through the pool: each piece copied and its buffer given back at once.
            const copies: Buffer[] = [];
            await registry.exposeSliced(format, {
              sliceMs: 0,
              onChunk: (chunk, release) => {
                copies.push(Buffer.from(chunk));
                release();
              },
            });
            assert.ok(Buffer.concat(copies).equals(expected), `${format} through the pool`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a piece released twice goes back to the pool once: no two pieces share a buffer', () => {
    const pool = new BufferPool(4);
    const w = new TextBuffers(pool);
    w.room(3);
    w.text('abc');
    w.finish();
    const [piece] = w.done;
    piece!.release();
    piece!.release();
    const first = pool.take();
    const second = pool.take();
    assert.notEqual(first.buffer, second.buffer);
  });

  test('a line longer than a whole piece is written whole, in one larger piece', async () => {
    // Label values are capped by the label guard; HELP text is not.
    const registry = new CoreRegistry();
    const help = `Help ${'é'.repeat(40_000)}`;
    registry.counter({ name: 'c_total', type: 'counter', help, labels: [] }).get().inc();
    const chunks = await registry.exposeSliced('text', { sliceMs: 0 });
    assert.ok(Buffer.concat(chunks).equals(Buffer.from(registry.expose('text'))));
    assert.ok(
      chunks.some((c) => c.length > 64 * 1024),
      'one piece holds the whole line',
    );
  });

  test('yields to the event loop between slices, however large the registry', async () => {
    const registry = bigRegistry(3000);
    const { result, turns } = await turnsDuring(() => registry.exposeSliced('text', { sliceMs: 0 }));
    // A slice ends after every 256 lines once its time is up (at once with sliceMs 0): 3000
    // histogram series of 16 lines and 3000 counter series of one.
    assert.ok(result.length >= (3000 * 16 + 3000) / 256, `${result.length} slices`);
    assert.ok(turns >= result.length - 1, `${turns} event-loop turns for ${result.length} slices`);
    // The single-shot writer never lets the event loop run.
    const single = await turnsDuring(async () => registry.expose('text'));
    assert.equal(single.turns, 0);
  });

  test('one family with many series is split into many slices', async () => {
    const registry = createRegistry({ maxSeries: 20_000 });
    const requests = registry.counter(catalog.httpRequestsTotal);
    for (let i = 0; i < 10_000; i++) requests.with3('GET', `/api/v1/companies/cmp_${i}/calls`, 200).inc(i);
    assert.equal(requests.series.size, 10_000);
    const { result, turns } = await turnsDuring(() => registry.exposeSliced('text', { sliceMs: 0 }));
    assert.ok(result.length >= 10_000 / 256, `${result.length} slices for one family of 10k series`);
    assert.ok(turns >= result.length - 1, `${turns} event-loop turns for ${result.length} slices`);
    assert.equal(Buffer.concat(result).toString('utf8'), registry.expose('text'));
  });

  test('pieces stay small however long the slice: each is at most 64 KiB', async () => {
    const registry = bigRegistry(3000);
    // A slice long enough for the whole registry: only the size bound cuts it.
    const chunks = await registry.exposeSliced('text', { sliceMs: 60_000 });
    const text = registry.expose('text');
    assert.equal(Buffer.concat(chunks).toString('utf8'), text);
    assert.ok(chunks.length >= text.length / (64 * 1024), `${chunks.length} pieces`);
    for (const c of chunks) assert.ok(c.length < 128 * 1024, `a piece of ${c.length} bytes`);
  });

  test('collected without a consumer, each buffer becomes a piece: none is taken for nothing', async () => {
    const registry = bigRegistry(1000);
    const allocations = countNewBuffers();
    try {
      const chunks = await registry.exposeSliced('text', { sliceMs: 60_000 });
      assert.ok(chunks.length > 3, `${chunks.length} pieces`);
      assert.equal(allocations.count, chunks.length);
    } finally {
      allocations.stop();
    }
  });

  test('with onChunk, pieces are handed over as they are made and rendering waits for the consumer', async () => {
    const registry = bigRegistry(1000);
    const received: Buffer[] = [];
    let pending = 0;
    const kept = await registry.exposeSliced('text', {
      sliceMs: 0,
      onChunk: async (chunk) => {
        assert.equal(pending, 0, 'the next piece came before the consumer was done with the last');
        pending++;
        await new Promise((r) => setImmediate(r));
        received.push(chunk);
        pending--;
      },
    });
    assert.deepEqual(kept, []);
    assert.ok(received.length > 1);
    assert.equal(Buffer.concat(received).toString('utf8'), registry.expose('text'));
  });

  test('no slice is rendered in the callback that starts the rendering or resumes it', async () => {
    // A scrape starts in its request's callback and is resumed by the socket's or zlib's 'drain',
    // both in the poll phase; rendering there and again in the check phase would hold one turn of
    // the loop for two slices. Whatever such a callback queued with setImmediate runs before the
    // next piece is rendered.
    const registry = bigRegistry(1000);
    let pieces = 0;
    const before: boolean[] = [];
    let immediateRan = true;
    const fromCallback = (start: () => unknown) =>
      setTimeout(() => {
        immediateRan = false;
        setImmediate(() => {
          immediateRan = true;
        });
        start();
      }, 1);
    const rendering = new Promise<Buffer[]>((resolve, reject) =>
      fromCallback(() =>
        registry
          .exposeSliced('text', {
            // Time never ends a slice here: only the start and the consumer's waits do.
            sliceMs: 60_000,
            onChunk: () => {
              before.push(immediateRan);
              if (++pieces > 3) return;
              return new Promise<void>((r) => fromCallback(r));
            },
          })
          .then(resolve, reject),
      ),
    );
    await rendering;
    assert.ok(pieces > 4, `${pieces} pieces`);
    assert.deepEqual(before.slice(0, 5), [true, true, true, true, true]);
  });

  test('an uncompressed scrape is written into the socket as it renders, reusing its buffers', async () => {
    const registry = bigRegistry(2000);
    const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN] });
    const head = await endpoint({ method: 'HEAD', headers: auth });
    assert.equal(head.body, '');
    const server = http.createServer(nodeMetricsHandler(endpoint));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const scrape = () =>
      new Promise<{ text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', headers: auth }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
            );
          })
          .on('error', reject);
      });
    // Pieces taken from the pool, counted while a scrape runs.
    const allocations = countNewBuffers();
    try {
      const expected = registry.expose('text');
      const first = await scrape();
      assert.equal(first.text, expected);
      assert.equal(first.headers['transfer-encoding'], 'chunked');
      assert.ok(expected.length > 20 * 64 * 1024, 'many pieces');
      allocations.count = 0;
      assert.equal((await scrape()).text, expected);
      // A piece goes back to the pool once the socket has written it: a few are in flight at a time.
      assert.ok(
        allocations.count <= 4,
        `${allocations.count} new buffers for a scrape of ${expected.length} bytes`,
      );
    } finally {
      allocations.stop();
      await new Promise((r) => server.close(r));
    }
  });

  test('on Fastify an uncompressed scrape keeps the headers earlier hooks set on the reply', async () => {
    const registry = bigRegistry(200);
    const app = Fastify();
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('x-content-type-options', 'nosniff');
    });
    app.get('/api/metrics', fastifyMetricsEndpoint(createMetricsEndpoint({ registry, tokens: [TOKEN] })));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (app.server.address() as { port: number }).port;
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/api/metrics', headers: auth }, resolve)
          .on('error', reject);
      });
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      assert.equal(res.headers['transfer-encoding'], 'chunked', 'the streamed path');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(Buffer.concat(chunks).toString('utf8'), registry.expose('text'));
    } finally {
      await app.close();
    }
  });

  test('an uncompressed scrape stops rendering when its client goes away', async () => {
    const registry = bigRegistry(3000);
    let pieces = 0;
    let renderingEnded = false;
    const exposeSliced = registry.exposeSliced.bind(registry);
    registry.exposeSliced = (format, options) =>
      exposeSliced(format, {
        ...options,
        onChunk: (chunk, release) => {
          pieces++;
          return options?.onChunk?.(chunk, release);
        },
      }).finally(() => {
        renderingEnded = true;
      });
    const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN] });
    const server = http.createServer(nodeMetricsHandler(endpoint));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // Pieces rendered by the time the server saw the connection close.
    let piecesAtClose = -1;
    try {
      const closed = new Promise<void>((resolve) =>
        server.once('request', (_req, res) =>
          res.once('close', () => {
            piecesAtClose = pieces;
            resolve();
          }),
        ),
      );
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', headers: auth }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
      });
      await closed;
      const total = Buffer.byteLength(registry.expose('text')) / (64 * 1024);
      await waitFor(() => renderingEnded, { what: 'the rendering to end', intervalMs: 5 });
      assert.ok(piecesAtClose < total - 2, `${piecesAtClose} of ${Math.ceil(total)} pieces before the close`);
      // The next piece handed over after the close finds the response gone and stops the rendering.
      assert.ok(
        pieces - piecesAtClose <= 1,
        `${pieces - piecesAtClose} pieces rendered after the close (${pieces} of about ${Math.ceil(total)})`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('a small registry renders in one slice', async () => {
    const registry = createRegistry();
    registry.counter(catalog.bookingsTotal).with2('confirmed', 'phone').inc();
    const chunks = await writeFamiliesSliced(registry.all(), 'text', { sliceMs: 0 });
    assert.equal(chunks.length, 1);
  });

  test('concurrent scrapes share one rendering; a later scrape renders again', async () => {
    const registry = bigRegistry(500);
    let renders = 0;
    const endpoint = createMetricsEndpoint({
      registry,
      tokens: [TOKEN],
      render: (format) => {
        renders++;
        return registry.exposeSliced(format, { sliceMs: 0 });
      },
    });
    const headers = { ...auth, 'accept-encoding': 'gzip' };
    const [a, b] = await Promise.all([endpoint({ headers }), endpoint({ headers })]);
    assert.equal(renders, 1);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, b.body);
    assert.equal(gunzipSync(bytesOf(a.body)).toString(), registry.expose('text'));
    // Different formats are different renderings, and nothing is kept after a scrape is served.
    await Promise.all([
      endpoint({ headers }),
      endpoint({ headers: { ...auth, accept: 'application/openmetrics-text' } }),
    ]);
    assert.equal(renders, 3);
    await endpoint({ headers: auth });
    assert.equal(renders, 4);
  });

  test('gzip uses the fastest level: the observed service pays the compression on every scrape', async () => {
    const registry = bigRegistry(2000);
    const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN] });
    const r = await endpoint({ headers: { ...auth, 'accept-encoding': 'gzip' } });
    const body = bytesOf(r.body);
    const text = Buffer.from(registry.expose('text'));
    assert.ok(gunzipSync(body).equals(text));
    const fastest = gzipSync(text, { level: 1 }).length;
    const standard = gzipSync(text).length;
    assert.ok(standard < fastest, 'the two levels differ on this text');
    assert.ok(
      Math.abs(body.length - fastest) < Math.abs(body.length - standard),
      `${body.length} bytes: level 1 gives ${fastest}, the default ${standard}`,
    );
  });

  test('gzip runs off the event loop: timers fire while a large exposition is compressed', async () => {
    const registry = bigRegistry(3000);
    // Rendered single-shot here, so every event-loop turn below happens during compression.
    const endpoint = createMetricsEndpoint({ registry, tokens: [TOKEN], render: (f) => registry.expose(f) });
    const { result, turns } = await turnsDuring(() =>
      endpoint({ headers: { ...auth, 'accept-encoding': 'gzip' } }),
    );
    assert.equal(result.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(bytesOf(result.body)).toString(), registry.expose('text'));
    assert.ok(turns > 0);
    // zlib's output pieces are served as they are: joining them would copy the whole body in one turn.
    assert.ok(Array.isArray(result.body) && result.body.length > 1, 'the compressed body is not joined');
  });
});

/** GETs `url` over a socket; the body as sent (still compressed if it was). */
function fetchRaw(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const adapter of ['express', 'fastify', 'node'] as const) {
  test(`${adapter}: a large exposition arrives whole, in pieces or compressed`, async () => {
    const app = await startApp(adapter);
    try {
      const durations = app.registry.histogram(catalog.httpRequestDuration);
      for (let i = 0; i < 900; i++) durations.with3('GET', `/api/v1/items/${i}/notes`, 200).observe(i / 1000);
      const lines = (text: string) => text.split('\n').filter((l) => l.includes('/api/v1/items/'));
      const expected = lines(app.registry.expose('text'));
      assert.ok(expected.length >= 900 * 16);
      const plain = await fetchRaw(`${app.url}/api/metrics`, { authorization: `Bearer ${TOKEN_APPS}` });
      assert.equal(plain.status, 200);
      assert.deepEqual(lines(plain.body.toString('utf8')), expected);
      const gz = await fetchRaw(`${app.url}/api/metrics`, {
        authorization: `Bearer ${TOKEN_APPS}`,
        'accept-encoding': 'gzip',
      });
      assert.deepEqual(lines(gunzipSync(gz.body).toString('utf8')), expected);
    } finally {
      await app.close();
    }
  });
}
