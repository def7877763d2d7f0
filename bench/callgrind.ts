/**
 * Request path in instructions: runs bench/inproc.ts under `valgrind --tool=callgrind` (V8 single
 * threaded) and reads the instructions each variant executed for the same requests. Callgrind counts
 * instructions, not time, so the figures do not move with the load of the machine; a variant is run
 * in several passes after warm-up and the spread between passes is reported as its resolution.
 * Instructions are not time: the figure in µs is the count divided by the in-process benchmark's
 * baseline instructions per µs (baseline µs per request measured in the same run, when given).
 *
 * Run: `node --import tsx bench/callgrind.ts` (about 10 minutes on a busy machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, pick, writeResult } from './lib/output.ts';
import { median, round } from './lib/stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'askproai-callgrind-'));
const batches = pick(10, 20);
const passes = pick(2, 3);
try {
  const t0 = performance.now();
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--dump-before=uv_os_getpriority',
      `--callgrind-out-file=${join(dir, 'cg.out')}`,
      process.execPath,
      '--single-threaded',
      '--expose-gc',
      '--import',
      'tsx',
      'bench/inproc.ts',
      '--callgrind',
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CALLGRIND_BATCHES: String(batches), CALLGRIND_PASSES: String(passes) },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (run.status !== 0) throw new Error(`valgrind exited with ${run.status}: ${run.stderr.slice(-2000)}`);
  const { order, requests } = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    order: string[];
    requests: number;
  };
  const total = (k: number) => {
    const text = readFileSync(join(dir, `cg.out.${k}`), 'utf8');
    const m = /^(?:summary|totals): (\d+)/m.exec(text);
    if (!m) throw new Error(`no totals in dump ${k}`);
    return Number(m[1]);
  };
  // Dump 1 is start-up and warm-up; then, per measured variant, a full GC and the variant's requests.
  const perPass: Record<string, number[]> = {};
  order.forEach((name, i) => {
    perPass[name] = [...(perPass[name] ?? []), total(3 + 2 * i) / requests];
  });
  const frameworks: Record<string, unknown> = {};
  for (const framework of ['express', 'fastify', 'node']) {
    const names = Object.keys(perPass).filter((n) => n.startsWith(`${framework}/`));
    const base = perPass[`${framework}/baseline`]!;
    frameworks[framework] = names.map((name) => {
      const passesOf = perPass[name]!;
      // Later passes are warmer; the first is kept only to show the warm-up was enough.
      const added = passesOf.map((x, i) => x - base[i]!);
      const steady = added.slice(1);
      return {
        variant: name.slice(framework.length + 1),
        instructionsPerRequest: passesOf.map((x) => Math.round(x)),
        addedPerPass: added.map((x) => Math.round(x)),
        added: Math.round(median(steady)),
        spread: Math.round(Math.max(...steady) - Math.min(...steady)),
      };
    });
  }
  const seconds = round((performance.now() - t0) / 1000, 0);
  log(`callgrind: ${JSON.stringify(frameworks)}`);
  writeResult('callgrind', { batches, passes, requests, seconds, ...frameworks });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
