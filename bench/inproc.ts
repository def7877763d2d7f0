/**
 * Request path in process: what each adapter adds to a request handled by Express 5, Fastify 5 and
 * a node:http listener, with the sockets, the kernel and the load generator taken out. Every variant
 * is a real `http.Server` (Node's parser, IncomingMessage and ServerResponse) fed through an
 * in-memory socket (bench/lib/memory-socket.ts).
 *
 * Each variant runs in processes of its own (`--child <framework> <variant>`, several per variant),
 * so V8 compiles a framework's code against one app only, as in a service. The processes are pinned
 * to CPU 0 and this coordinator to CPU 1. In each round the coordinator asks every variant of a
 * framework, in a fresh random order and one at a time, to drive the same pipelined batch; the
 * process answers with its main thread's CPU time for exactly that batch. "Added" is a variant's
 * time minus the same round's baseline. Reported: the median over rounds with a bootstrap 95%
 * interval that resamples the processes as well as the rounds.
 *
 * `--callgrind <framework> <variant>` instead runs passes of one variant between markers for
 * `valgrind --tool=callgrind` (bench/callgrind.ts drives it): instruction counts do not depend on what
 * else the machine does.
 *
 * Run: `BENCH_MODE=quick node --import tsx bench/inproc.ts`. The BENCH_INPROC_* variables read in
 * measure() override its settings (for experiments); BENCH_INPROC_RAW=<file> also writes every
 * measurement there.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GCProfiler, getHeapSpaceStatistics } from 'node:v8';
import client from 'prom-client';
import { bootstrap, type Interval, medianOf, prng, verdictAtMost } from './lib/bootstrap.ts';
import { MemoryClient, requestBatch } from './lib/memory-socket.ts';
import { log, pick, writeResult } from './lib/output.ts';
import { canPin, mainThreadSchedstat, pinSelf } from './lib/proc.ts';
import { round } from './lib/stats.ts';
import { buildExpress, EXPRESS_VARIANTS } from './servers/express-app.ts';
import { buildFastify, FASTIFY_VARIANTS } from './servers/fastify-app.ts';
import { buildNode, NODE_VARIANTS } from './servers/node-app.ts';
import { URLS } from './servers/shared.ts';

export type Framework = 'express' | 'fastify' | 'node';
export interface Variant {
  framework: Framework;
  variant: string;
  label: string;
  client: MemoryClient;
  stats: () => string | Promise<string>;
}

const LABELS: Record<string, string> = {
  'express/baseline': 'Express 5, no metrics',
  'express/ours': 'ours (instrumentExpress)',
  'express/ours-middleware': 'ours as a middleware layer (expressMetrics)',
  'express/bundle': 'express-prom-bundle 8',
  'express/prom-client': 'prom-client middleware',
  'fastify/baseline': 'Fastify 5, no metrics',
  'fastify/ours': 'ours (fastifyMetrics)',
  'fastify/fastify-metrics': 'fastify-metrics 13.2.1',
  'fastify/prom-client': 'prom-client onResponse hook',
  'node/baseline': 'node:http, no metrics',
  'node/ours': 'ours (instrumentHandler)',
  'node/prom-client': 'prom-client wrapper',
};

/** Absolute targets of the issue, µs added per request (node:http has none; it is shown for reference). */
export const TARGET_US: Partial<Record<Framework, number>> = { express: 3, fastify: 1 };

/** Every variant, or those named (`framework/variant`). */
export async function buildVariants(only?: readonly string[]): Promise<Variant[]> {
  const out: Variant[] = [];
  const add = (framework: Framework, variant: string, listener: MemoryClient, stats: Variant['stats']) =>
    out.push({ framework, variant, label: LABELS[`${framework}/${variant}`]!, client: listener, stats });
  const wanted = (framework: Framework, variant: string) =>
    only === undefined || only.includes(`${framework}/${variant}`);
  for (const v of EXPRESS_VARIANTS) {
    if (!wanted('express', v)) continue;
    const { app, stats } = buildExpress(v, new client.Registry());
    add('express', v, new MemoryClient(app), stats);
  }
  for (const v of FASTIFY_VARIANTS) {
    if (!wanted('fastify', v)) continue;
    const { app, stats } = await buildFastify(v, new client.Registry());
    // The handler Fastify attached to its own http.Server: routing, hooks and all.
    const handler = app.server.listeners('request')[0] as (req: unknown, res: unknown) => void;
    add('fastify', v, new MemoryClient(handler), stats);
  }
  for (const v of NODE_VARIANTS) {
    if (!wanted('node', v)) continue;
    const { listener, stats } = buildNode(v, new client.Registry());
    add('node', v, new MemoryClient(listener), stats);
  }
  return out;
}

const BATCH = requestBatch(URLS);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Drives `batches` pipelined batches of the URL mix through a variant. */
export async function drive(v: Variant, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) await v.client.send(BATCH, URLS.length);
  // Let the last responses' finish and close events run inside this measurement.
  await tick();
}

/** Every variant answered 200 and 404, and only the instrumented ones recorded the bookings route. */
export async function check(variants: Variant[]): Promise<void> {
  for (const v of variants) {
    if (!v.client.statuses.get(200) || !v.client.statuses.get(404))
      throw new Error(
        `${v.framework}/${v.variant}: unexpected statuses ${JSON.stringify([...v.client.statuses])}`,
      );
    const text = await v.stats();
    const recorded = text.includes('bookings');
    if (v.variant === 'baseline' ? recorded : !recorded)
      throw new Error(`${v.framework}/${v.variant}: unexpected exposition: ${text.slice(0, 300)}`);
    if (v.variant.startsWith('ours') && !/endpoint="unmatched",status="404"/.test(text))
      throw new Error(`${v.framework}/ours did not record the 404 as unmatched: ${text.slice(0, 600)}`);
    if (/status="499"/.test(text))
      throw new Error(`${v.framework}/${v.variant} recorded a finished request as aborted`);
  }
}

/**
 * The main thread's scheduler account (/proc/self/task/<pid>/schedstat: ns run, ns waited on a run
 * queue, times scheduled in) and the whole process's CPU time (getrusage, µs). The kernel brings a
 * running thread's account up to date only on a tick or a context switch; getrusage brings the
 * calling thread's up to date first, so the schedstat read right after it is exact to the nanosecond
 * instead of to the last tick (1-4 ms).
 */
function clocks(): { thread: number; waited: number; slices: number; process: number } {
  const u = process.cpuUsage();
  const [run, waited, slices] = mainThreadSchedstat();
  return { thread: run, waited, slices, process: u.user + u.system };
}

/** Bytes in use in V8's young generation (where a request's short-lived objects are allocated). */
function youngOf(spaces: readonly { spaceName: string; spaceUsedSize: number }[]): number {
  let used = 0;
  for (const s of spaces)
    if (s.spaceName === 'new_space' || s.spaceName === 'new_large_object_space') used += s.spaceUsedSize;
  return used;
}

function youngNow(): number {
  return youngOf(
    getHeapSpaceStatistics().map((s) => ({ spaceName: s.space_name, spaceUsedSize: s.space_used_size })),
  );
}

interface GcStatistics {
  statistics: {
    gcType: string;
    cost: number;
    beforeGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
    afterGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
  }[];
}

export interface Timed {
  /** Main-thread CPU time of the batch, ns. */
  threadNs: number;
  /** Whole-process CPU time of the batch (V8's compiler and GC helper threads too), µs. */
  processUs: number;
  /** Time the main thread waited for the CPU during the batch (other processes ran), ns. */
  waitedNs: number;
  /** Times the main thread was scheduled back in during the batch (0: it ran undisturbed). */
  interruptions: number;
  /** Bytes the batch allocated in the young generation (from V8's GC profiler across collections). */
  youngBytes: number;
  /** Garbage collections during the batch, and how long they took (µs, V8's GC profiler). */
  gcs: number;
  gcUs: number;
}

type ToChild = { op: 'drive'; batches: number; leadIn: number } | { op: 'check' };
type FromChild = { ready: true } | { timed: Timed } | { done: true } | { error: string };

/**
 * One variant in a process of its own: its own isolate, so V8 compiles the framework's code
 * against this app only. Drives batches when the coordinator asks, and answers with its CPU time
 * for exactly the timed batch.
 */
async function childProcess(framework: string, variant: string): Promise<void> {
  const v = (await buildVariants([`${framework}/${variant}`]))[0];
  if (v === undefined) throw new Error(`no variant ${framework}/${variant}`);
  const send = (m: FromChild) => process.send!(m);
  const run = async (m: ToChild): Promise<FromChild> => {
    if (m.op === 'check') {
      await check([v]);
      return { done: true };
    }
    // Untimed requests first bring this process's code and data back into the CPU's caches, which
    // the other processes' batches have just used; a serving process does not start cold each time.
    if (m.leadIn > 0) await drive(v, m.leadIn);
    const profiler = new GCProfiler();
    profiler.start();
    const y0 = youngNow();
    const c0 = clocks();
    await drive(v, m.batches);
    const c1 = clocks();
    const y1 = youngNow();
    const gcs = (profiler.stop() as GcStatistics).statistics;
    // Allocated = growth of the young generation plus what each collection during the batch freed
    // or moved out of it.
    let young = y1 - y0;
    for (const g of gcs)
      young += youngOf(g.beforeGC.heapSpaceStatistics) - youngOf(g.afterGC.heapSpaceStatistics);
    return {
      timed: {
        threadNs: c1.thread - c0.thread,
        processUs: c1.process - c0.process,
        waitedNs: c1.waited - c0.waited,
        interruptions: c1.slices - c0.slices,
        youngBytes: young,
        gcs: gcs.length,
        gcUs: gcs.reduce((sum, g) => sum + g.cost, 0),
      },
    };
  };
  process.on('message', (m: ToChild) => {
    run(m).then(send, (e: unknown) =>
      send({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  // The coordinator going away ends the process.
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}

/** The coordinator's handle on one process of one variant. */
class Child {
  readonly key: string;
  private readonly proc: ChildProcess;
  private pending: ((m: FromChild) => void) | undefined;
  private exited = false;

  constructor(
    readonly framework: Framework,
    readonly variant: string,
    readonly instance: number,
  ) {
    this.key = `${framework}/${variant}#${instance}`;
    this.proc = spawn(process.execPath, [...NODE_FLAGS, ...childEntry, '--child', framework, variant], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    this.proc.on('message', (m: FromChild) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(m);
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      const p = this.pending;
      this.pending = undefined;
      p?.({ error: `exited (${code ?? signal})` });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The process's next message (one request at a time). */
  private request(m?: ToChild): Promise<FromChild> {
    if (this.exited) return Promise.reject(new Error(`${this.key} has exited`));
    const reply = new Promise<FromChild>((resolve, reject) => {
      this.pending = (r) => ('error' in r ? reject(new Error(`${this.key}: ${r.error}`)) : resolve(r));
    });
    if (m !== undefined) this.proc.send(m);
    return reply;
  }

  async ready(): Promise<void> {
    await this.request();
  }

  async drive(batches: number, leadIn = 0): Promise<Timed> {
    const m = await this.request({ op: 'drive', batches, leadIn });
    if (!('timed' in m)) throw new Error(`${this.key}: unexpected reply ${JSON.stringify(m)}`);
    return m.timed;
  }

  async check(): Promise<void> {
    await this.request({ op: 'check' });
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.disconnect();
    });
  }
}

/**
 * How a variant process runs this file: bundled once per run into plain JavaScript (the packages
 * stay external), which halves a process's start-up against loading TypeScript through tsx; tsx
 * when esbuild (tsx's own dependency) cannot be loaded.
 */
let childEntry: string[] = ['--import', 'tsx', fileURLToPath(import.meta.url)];

async function bundleChild(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // Under node_modules, so the bundle resolves the packages as this file does; one per run.
  const outfile = `${root}node_modules/.cache/askproai-bench/inproc-${process.pid}.mjs`;
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build(options: Record<string, unknown>): Promise<unknown>;
    };
    await esbuild.build({
      entryPoints: [fileURLToPath(import.meta.url)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      packages: 'external',
      logLevel: 'warning',
    });
    childEntry = [outfile];
    process.once('exit', () => rmSync(outfile, { force: true }));
  } catch (e) {
    log(
      `in-process request path: variant processes load TypeScript through tsx (${String(e).slice(0, 120)})`,
    );
  }
}

/**
 * V8 flags of the variant processes: the young generation fixed at the size a busy service's grows
 * to (16 MB semi-spaces, V8's maximum on 64 bits), so every process collects after the same amount
 * of garbage (left to V8, one process scavenged in half its measurements and another in a seventh);
 * and no memory reducer, which collects and shrinks the heap of a process that looks idle, as each
 * of these does between its turns, and a busy service never is. BENCH_INPROC_NODE_FLAGS replaces
 * them (experiments).
 */
const NODE_FLAGS = (
  process.env.BENCH_INPROC_NODE_FLAGS ??
  '--min-semi-space-size=16 --max-semi-space-size=16 --no-memory-reducer'
)
  .split(' ')
  .filter(Boolean);

const FRAMEWORKS = ['express', 'fastify', 'node'] as const;
const VARIANTS: Record<Framework, readonly string[]> = {
  express: EXPRESS_VARIANTS,
  fastify: FASTIFY_VARIANTS,
  node: NODE_VARIANTS,
};
const setting = (name: string, quick: number, full: number) => Number(process.env[name] ?? pick(quick, full));

/** Runs `tasks` with at most `limit` at a time. */
async function limited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function measure(): Promise<void> {
  const t0 = performance.now();
  /**
   * Processes per variant, per framework: each process has a speed of its own, so the interval needs
   * several (the bootstrap draws the processes). Express's differ most: with four per variant our
   * added figure's interval was 1.7 µs wide in every run; with ten, 0.8 µs in an Express-only run of
   * 180 s. BENCH_INPROC_INSTANCES sets all, BENCH_INPROC_INSTANCES_<FRAMEWORK> one.
   */
  const instancesOf = (f: Framework, full: number) =>
    Number(
      process.env[`BENCH_INPROC_INSTANCES_${f.toUpperCase()}`] ??
        process.env.BENCH_INPROC_INSTANCES ??
        pick(2, full),
    );
  const instances: Record<Framework, number> = {
    express: instancesOf('express', 10),
    fastify: instancesOf('fastify', 4),
    node: instancesOf('node', 4),
  };
  /** Rounds run until this many seconds of measuring have passed (or exactly BENCH_INPROC_ROUNDS). */
  const budget = setting('BENCH_INPROC_SECONDS', 20, 100);
  const fixedRounds = process.env.BENCH_INPROC_ROUNDS ? Number(process.env.BENCH_INPROC_ROUNDS) : undefined;
  /** Batches of the 10-URL mix per timed measurement, per framework (a few ms each). */
  const batches: Record<Framework, number> = {
    express: setting('BENCH_INPROC_BATCHES_EXPRESS', 5, 5),
    fastify: setting('BENCH_INPROC_BATCHES_FASTIFY', 20, 20),
    node: setting('BENCH_INPROC_BATCHES_NODE', 20, 20),
  };
  /** Seconds of rounds run in lockstep but not kept, after warm-up and pinning. */
  const settle = setting('BENCH_INPROC_SETTLE_SECONDS', 3, 10);
  /** Untimed batches right before each timed one. */
  const leadIn = setting('BENCH_INPROC_LEAD_IN', 1, 1);
  /** Warm-up batches per process, per framework: V8 keeps optimising Express for ~20k requests. */
  const warmup: Record<Framework, number> = {
    express: setting('BENCH_INPROC_WARMUP_EXPRESS', 1500, 2500),
    fastify: setting('BENCH_INPROC_WARMUP_FASTIFY', 2000, 3000),
    node: setting('BENCH_INPROC_WARMUP_NODE', 1000, 2000),
  };
  const only = (process.env.BENCH_INPROC_ONLY ?? FRAMEWORKS.join(',')).split(',');
  const frameworks = FRAMEWORKS.filter((f) => only.includes(f));
  // The machine's CPUs, not this process's affinity (bench/run.sh may have pinned it to one).
  const cpuCount = cpus().length;
  const pinned = canPin(cpuCount);

  await bundleChild();
  const children: Child[] = [];
  for (const f of frameworks)
    for (let i = 0; i < instances[f]; i++) for (const v of VARIANTS[f]) children.push(new Child(f, v, i));
  try {
    // Start-up and warm-up on every CPU, before anything is measured; then the processes move to
    // CPU 0 and this coordinator to CPU 1.
    if (pinned) for (const c of children) setAffinity(c.pid, 'all');
    await Promise.all(children.map((c) => c.ready()));
    log(
      `in-process request path: ${children.length} processes started in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    await limited(
      children.map((c) => async () => {
        await c.drive(warmup[c.framework]);
        await c.check();
      }),
      cpuCount,
    );
    if (pinned) {
      for (const c of children) setAffinity(c.pid, 0);
      pinSelf(1);
    }
    const setupSeconds = (performance.now() - t0) / 1000;
    log(
      `in-process request path: ${children.length} processes (${frameworks.map((f) => `${instances[f]} per ${f} variant`).join(', ')})${pinned ? ' pinned to CPU 0' : ''}, ` +
        `ready and warmed up in ${setupSeconds.toFixed(0)} s; measuring for ${fixedRounds === undefined ? `${budget} s` : `${fixedRounds} rounds`}`,
    );

    const series = {
      thread: {} as Record<string, number[]>,
      process: {} as Record<string, number[]>,
      youngBytes: {} as Record<string, number[]>,
      gcUs: {} as Record<string, number[]>,
      gcs: {} as Record<string, number[]>,
      waitedUs: {} as Record<string, number[]>,
      interruptions: {} as Record<string, number[]>,
    };
    for (const f of frameworks)
      for (const v of VARIANTS[f]) for (const s of Object.values(series)) s[`${f}/${v}`] = [];
    /** Which process of each variant measured each round (the round number modulo its instances). */
    const cluster = Object.fromEntries(frameworks.map((f) => [f, [] as number[]])) as Record<
      Framework,
      number[]
    >;
    const random = prng(7);
    const runRound = async (round: number, keep: (key: string, t: Timed, requests: number) => void) => {
      for (const f of frameworks) {
        const instance = round % instances[f];
        const group = children.filter((c) => c.framework === f && c.instance === instance);
        const requests = batches[f] * URLS.length;
        // A fresh random order each round, so no variant always follows the same one.
        const order = group.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k);
        for (const { c } of order) keep(`${f}/${c.variant}`, await c.drive(batches[f], leadIn), requests);
      }
    };
    // The first seconds on the one CPU are not kept: until then every process had a CPU of its own.
    const tSettle = performance.now();
    for (let r = 0; performance.now() - tSettle < settle * 1000; r++) await runRound(r, () => {});
    const loadStart = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const t1 = performance.now();
    let rounds = 0;
    const more = () =>
      fixedRounds !== undefined ? rounds < fixedRounds : performance.now() - t1 < budget * 1000;
    for (; more(); rounds++) {
      for (const f of frameworks) cluster[f].push(rounds % instances[f]);
      await runRound(rounds, (key, t, requests) => {
        series.thread[key]!.push(t.threadNs / 1000 / requests);
        series.process[key]!.push(t.processUs / requests);
        series.youngBytes[key]!.push(t.youngBytes / requests);
        series.gcUs[key]!.push(t.gcUs / requests);
        series.gcs[key]!.push(t.gcs);
        series.waitedUs[key]!.push(t.waitedNs / 1000);
        series.interruptions[key]!.push(t.interruptions);
      });
      if ((rounds + 1) % 500 === 0)
        log(`in-process round ${rounds + 1} (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
    }
    const measuredSeconds = (performance.now() - t1) / 1000;
    const loadEnd = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    for (const c of children) await c.check();
    if (process.env.BENCH_INPROC_RAW)
      writeFileSync(process.env.BENCH_INPROC_RAW, JSON.stringify({ cluster, ...series }));

    const results: Record<string, unknown> = {};
    for (const f of frameworks) {
      const group = VARIANTS[f];
      const thread = analyse(f, group, series.thread, cluster[f]);
      const proc = analyse(f, group, series.process, cluster[f]);
      const ours = thread.ci['added:ours']!;
      const target = TARGET_US[f];
      const baseBytes = mean(series.youngBytes[`${f}/baseline`]!);
      const interrupted = group.flatMap((v) => series.interruptions[`${f}/${v}`]!);
      results[f] = {
        requestsPerMeasurement: batches[f] * URLS.length,
        // How busy CPU 0 was: the share of measurements no other process interrupted.
        uninterrupted: round(interrupted.filter((n) => n === 0).length / interrupted.length, 3),
        warmupRequests: warmup[f] * URLS.length,
        variants: group.map((v) => {
          const key = `${f}/${v}`;
          const bytes = mean(series.youngBytes[key]!);
          return {
            variant: v,
            label: LABELS[`${f}/${v}`]!,
            cpuUsPerRequest: fig(thread.ci[`cpu:${v}`]!),
            addedUs: v === 'baseline' ? null : fig(thread.ci[`added:${v}`]!),
            ratioToOurs: thread.ci[`ratio:${v}`] ? fig(thread.ci[`ratio:${v}`]!) : null,
            processCpuUsPerRequest: fig(proc.ci[`cpu:${v}`]!),
            processAddedUs: v === 'baseline' ? null : fig(proc.ci[`added:${v}`]!),
            youngBytesPerRequest: round(bytes, 0),
            addedYoungBytesPerRequest: v === 'baseline' ? null : round(bytes - baseBytes, 0),
            // What the medians leave out: collections fall in a few measurements only.
            gcUsPerRequest: round(mean(series.gcUs[key]!), 3),
            measurementsWithGc: round(series.gcs[key]!.filter((n) => n > 0).length / rounds, 3),
          };
        }),
        cheapestPeer: thread.cheapest,
        halfOfCheapestPeer: thread.halfVerdict,
        absoluteTargetUs: target ?? null,
        absolute: target === undefined ? null : verdictAtMost(ours, target),
      };
      const line = (a: ReturnType<typeof analyse>) =>
        group
          .filter((v) => v !== 'baseline')
          .map((v) => {
            const i = a.ci[`added:${v}`]!;
            return `${v} +${i.value.toFixed(2)} [${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`;
          })
          .join(', ');
      const r = thread.ci[`ratio:${thread.cheapest}`]!;
      log(
        `${f}: added µs per request, main thread: ${line(thread)}; ours/${thread.cheapest} ` +
          `${r.value.toFixed(2)} [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]`,
      );
      log(`${f}: added µs per request, whole process: ${line(proc)}`);
    }
    writeResult('inproc', {
      rounds,
      instances: Object.fromEntries(frameworks.map((f) => [f, instances[f]])),
      clock: 'main thread (schedstat)',
      nodeFlags: NODE_FLAGS.join(' '),
      leadInRequests: leadIn * URLS.length,
      settleSeconds: settle,
      pinned,
      setupSeconds: round(setupSeconds, 0),
      measuredSeconds: round(measuredSeconds, 0),
      loadStart,
      loadEnd,
      urls: URLS,
      ...results,
    });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

const fig = (i: Interval) => ({ value: round(i.value, 3), low: round(i.low, 3), high: round(i.high, 3) });

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Sets the CPU affinity of every thread of a process. */
function setAffinity(pid: number, cpu: number | 'all'): void {
  const list = cpu === 'all' ? `0-${cpus().length - 1}` : String(cpu);
  execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
}

/** Medians, bootstrap intervals and the half-of-the-cheapest-peer verdict for one framework. */
function analyse(
  framework: Framework,
  group: readonly string[],
  perRequest: Record<string, number[]>,
  cluster: readonly number[],
) {
  const base = perRequest[`${framework}/baseline`]!;
  const series: Record<string, number[]> = {};
  const stats: Record<string, (s: Record<string, number[]>) => number> = {};
  for (const k of group) {
    series[`cpu:${k}`] = perRequest[`${framework}/${k}`]!;
    stats[`cpu:${k}`] = medianOf(`cpu:${k}`);
    if (k === 'baseline') continue;
    series[`added:${k}`] = series[`cpu:${k}`]!.map((x, i) => x - base[i]!);
    stats[`added:${k}`] = medianOf(`added:${k}`);
  }
  // Our other ways of installing (Express's middleware form) are shown, but are not peers.
  const peers = group.filter((v) => v !== 'baseline' && !v.startsWith('ours'));
  for (const p of peers) {
    stats[`ratio:${p}`] = (s) => medianOf('added:ours')(s) / medianOf(`added:${p}`)(s);
  }
  const ci = bootstrap(series, stats, 10_000, 12, cluster);
  const cheapest = peers.reduce((a, b) => (ci[`added:${a}`]!.value <= ci[`added:${b}`]!.value ? a : b));
  const ours = ci['added:ours']!;
  const cheap = ci[`added:${cheapest}`]!;
  const ratioCi = ci[`ratio:${cheapest}`]!;
  const halfVerdict =
    ratioCi.high <= 0.5 && ours.high < cheap.low ? 'pass' : ratioCi.low > 0.5 ? 'FAIL' : 'unresolved';
  return { ci, cheapest, halfVerdict };
}

/**
 * Under callgrind (bench/callgrind.ts): one variant per process, `--callgrind <framework> <variant>`.
 * After warm-up, each pass drives the same batches between two marker calls (os.getPriority, which
 * callgrind dumps before); no GC is forced between passes (a full GC makes V8 drop and recompile code).
 */
async function callgrindPasses(framework: string, variant: string): Promise<void> {
  const measured = Number(process.env.CALLGRIND_BATCHES ?? 60);
  const passes = Number(process.env.CALLGRIND_PASSES ?? 4);
  const v = (await buildVariants([`${framework}/${variant}`]))[0];
  if (v === undefined) throw new Error(`no variant ${framework}/${variant}`);
  await drive(v, Number(process.env.CALLGRIND_WARMUP ?? 600));
  await check([v]);
  for (let pass = 0; pass < passes; pass++) {
    getPriority();
    await drive(v, measured);
  }
  getPriority();
  process.stdout.write(`${JSON.stringify({ passes, requests: measured * URLS.length })}\n`);
}

const at = process.argv.indexOf('--callgrind');
const childAt = process.argv.indexOf('--child');
if (at !== -1) await callgrindPasses(process.argv[at + 1]!, process.argv[at + 2]!);
else if (childAt !== -1) await childProcess(process.argv[childAt + 1]!, process.argv[childAt + 2]!);
else await measure();
