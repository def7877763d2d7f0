/**
 * Request path in instructions: each variant of bench/inproc.ts runs in its own process under
 * `valgrind --tool=callgrind`, and the instructions it executes per request are read from the
 * callgrind dumps between the markers of its passes. Instruction counts do not depend on the load of
 * the machine, and with V8 made repeatable (`--predictable`, fixed hash and random seeds, one thread)
 * the same process gives the same counts run after run.
 *
 * What still moves between passes of one process is V8's own work: optimising compilations (and the
 * deoptimisations behind them) continue long after warm-up in Express. That work is counted apart
 * (the inclusive cost of `Runtime_CompileOptimized` and baseline compilation) and left out of the
 * figure; garbage collection is kept, since allocation is part of what an adapter costs. The figure
 * is the median over passes after the first, with the spread (max − min) of those passes beside it.
 *
 * Writes bench/results/callgrind.json (with the commit it measured) as well as the run's result file,
 * so a later `bench/report.ts` can show it: the counts do not change with the load, only with the code.
 *
 * Run: `node --import tsx bench/callgrind.ts [framework/variant ...]` (two variants at a time, a few
 * minutes each).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, pick, writeResult } from './lib/output.ts';
import { median, round } from './lib/stats.ts';
import { EXPRESS_VARIANTS } from './servers/express-app.ts';
import { FASTIFY_VARIANTS } from './servers/fastify-app.ts';
import { NODE_VARIANTS } from './servers/node-app.ts';
import { URLS } from './servers/shared.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const batches = pick(30, 60);
const passes = pick(3, 5);
const warmup = pick(300, 600);

/** Callers of these are V8 compiling code: their inclusive cost is counted apart. */
const COMPILE = /^v8::internal::Runtime_(CompileOptimized|CompileBaseline|InstallBaselineCode)\(/;

/** Self and call costs of one uncompressed callgrind dump (`--compress-strings=no`). */
function costs(path: string): { total: number; compile: number } {
  let total = 0;
  let compile = 0;
  let fn = '';
  let callee = '';
  let callLine = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) fn = line.slice(3);
    else if (line.startsWith('cfn=')) callee = line.slice(4);
    else if (line.startsWith('calls=')) callLine = true;
    else if (/^[0-9+\-*]/.test(line)) {
      const cost = Number(line.split(' ')[1] ?? 0);
      if (callLine) {
        // Calls into the compiler from outside it (recursive compiler calls are inside that cost).
        if (COMPILE.test(callee) && !COMPILE.test(fn)) compile += cost;
        callLine = false;
      } else total += cost;
    }
  }
  return { total, compile };
}

/** Runs valgrind with `args`; resolves with its exit status and output. */
function runValgrind(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, {
      cwd: root,
      env: {
        ...process.env,
        CALLGRIND_BATCHES: String(batches),
        CALLGRIND_PASSES: String(passes),
        CALLGRIND_WARMUP: String(warmup),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface VariantCount {
  variant: string;
  /** Instructions per request, JIT compilation left out, per pass (the first is warm-up's tail). */
  perPass: number[];
  compilePerPass: number[];
  /** Median of the passes after the first, and their spread (max − min). */
  perRequest: number;
  spread: number;
}

async function measureVariant(framework: string, variant: string, dir: string): Promise<VariantCount> {
  const out = join(dir, `${framework}-${variant}`);
  const run = await runValgrind([
    '--tool=callgrind',
    '--dump-before=uv_os_getpriority',
    '--compress-strings=no',
    '--compress-pos=no',
    `--callgrind-out-file=${out}`,
    process.execPath,
    '--single-threaded',
    '--predictable',
    '--hash-seed=1',
    '--random-seed=1',
    '--expose-gc',
    '--import',
    'tsx',
    'bench/inproc.ts',
    '--callgrind',
    framework,
    variant,
  ]);
  if (run.status !== 0) throw new Error(`valgrind exited with ${run.status}: ${run.stderr.slice(-2000)}`);
  const { requests } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { requests: number };
  // Dump 1 is start-up and warm-up, dumps 2..passes+1 the passes.
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`${framework}-${variant}.`))
    .map((f) => Number(f.slice(f.lastIndexOf('.') + 1)))
    .sort((a, b) => a - b)
    .slice(1);
  if (dumps.length !== passes) throw new Error(`${framework}/${variant}: ${dumps.length} dumps`);
  const counted = dumps.map((k) => costs(`${out}.${k}`));
  const perPass = counted.map((c) => (c.total - c.compile) / requests);
  const steady = perPass.slice(1);
  return {
    variant,
    perPass: perPass.map((x) => Math.round(x)),
    compilePerPass: counted.map((c) => Math.round(c.compile / requests)),
    perRequest: Math.round(median(steady)),
    spread: Math.round(Math.max(...steady) - Math.min(...steady)),
  };
}

const ALL: Record<string, readonly string[]> = {
  express: EXPRESS_VARIANTS,
  fastify: FASTIFY_VARIANTS,
  node: NODE_VARIANTS,
};
// The code measured is the code checked out when the count starts (a commit made while it runs is not).
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const named = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'askproai-callgrind-'));
try {
  const t0 = performance.now();
  const jobs = Object.entries(ALL).flatMap(([framework, variants]) =>
    variants
      .filter((variant) => named.length === 0 || named.includes(`${framework}/${variant}`))
      .map((variant) => ({ framework, variant })),
  );
  // Instruction counts do not depend on what runs beside them: variants run two at a time.
  const done = new Map<string, VariantCount>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { framework, variant } = jobs[next++]!;
      const c = await measureVariant(framework, variant, dir);
      log(`callgrind ${framework}/${variant}: ${c.perRequest} instructions per request (spread ${c.spread})`);
      done.set(`${framework}/${variant}`, c);
    }
  };
  await Promise.all([worker(), worker()]);
  const frameworks: Record<string, unknown> = {};
  for (const [framework, variants] of Object.entries(ALL)) {
    const counts = variants.flatMap((v) => done.get(`${framework}/${v}`) ?? []);
    if (counts.length === 0) continue;
    const base = counts.find((c) => c.variant === 'baseline');
    frameworks[framework] = counts.map((c) => ({
      ...c,
      added: base && c !== base ? c.perRequest - base.perRequest : null,
    }));
  }
  const result = {
    commit,
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    // Not `node`: that key holds the node:http variants below.
    nodeVersion: process.version,
    batches,
    passes,
    warmupRequests: warmup * URLS.length,
    requestsPerPass: batches * URLS.length,
    seconds: round((performance.now() - t0) / 1000, 0),
    ...frameworks,
  };
  writeResult('callgrind', result);
  if (named.length === 0)
    writeFileSync(join(root, 'bench/results/callgrind.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
