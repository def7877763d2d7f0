/**
 * The library as another AskProAI service consumes it: a throwaway ESM project with the packed package in
 * its node_modules (the shared production install of support.ts, linked in as npm would place it), importing
 * only the public entry points, recording a booking and serving a scrape over node:http; and a consumer
 * file type-checked with tsc against the package's .d.ts, where a misspelled label value does not compile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ManagedProcess, spawnProcess } from '../support/processes.ts';
import { packedProject, ROOT, run } from './support.ts';

const TOKEN = randomBytes(32).toString('hex');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

describe('a consumer project', () => {
  let dir: string;
  let app: ManagedProcess | undefined;
  let port: number;

  before(async () => {
    const packed = await packedProject();
    dir = join(packed.dir, `consumer-${process.pid}`);
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(packed.install, join(dir, 'node_modules/askproai-monitoring'), 'dir');
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { 'askproai-monitoring': '0.1.0' },
      }),
    );
    await cp(join(ROOT, 'test/ship/fixtures/consumer'), dir, { recursive: true });
    app = await spawnProcess(process.execPath, ['app.mjs'], {
      name: 'consumer app',
      cwd: dir,
      env: { PATH: process.env.PATH, CONSUMER_TOKEN: TOKEN, NODE_OPTIONS: '' },
      readyWhen: (out) => /listening \d+/.test(out),
      timeoutMs: 30_000,
    });
    port = Number(/listening (\d+)/.exec(app.output())![1]);
  });

  after(async () => {
    await app?.stop();
  });

  test('records a booking through the public entry points and serves it to an authenticated scrape', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/bookings`, { method: 'POST' })).status, 201);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^askproai_bookings_total\{status="confirmed",source="phone"\} 1$/m);
    assert.match(
      text,
      /^askproai_http_requests_total\{method="POST",endpoint="\/bookings",status="201"\} 1$/m,
    );
  });

  test('only the exported entry points resolve; internals are not importable', async () => {
    const probe = `
      for (const s of ['askproai-monitoring/metrics', 'askproai-monitoring/metrics/express',
        'askproai-monitoring/metrics/fastify', 'askproai-monitoring/metrics/node',
        'askproai-monitoring/metrics/sources', 'askproai-monitoring/metrics/schedule',
        'askproai-monitoring/metrics/instrument', 'askproai-monitoring/package.json']) import.meta.resolve(s);
      for (const s of ['askproai-monitoring/dist/metrics/core/registry.js', 'askproai-monitoring/metrics/core/registry',
        'askproai-monitoring']) {
        try { import.meta.resolve(s); console.log('resolved ' + s); } catch (e) { console.log(e.code + ' ' + s); }
      }`;
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'ERR_PACKAGE_PATH_NOT_EXPORTED askproai-monitoring/dist/metrics/core/registry.js',
      'ERR_PACKAGE_PATH_NOT_EXPORTED askproai-monitoring/metrics/core/registry',
      'ERR_PACKAGE_PATH_NOT_EXPORTED askproai-monitoring',
    ]);
  });

  test('tsc type-checks a consumer file against the .d.ts, and a misspelled label value fails', async () => {
    const tsconfig = (files: string[]) =>
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files,
      });
    await writeFile(join(dir, 'tsconfig.typed.json'), tsconfig(['typed.ts']));
    await writeFile(join(dir, 'tsconfig.misspelled.json'), tsconfig(['misspelled.ts']));
    const good = await run(process.execPath, [TSC, '-p', 'tsconfig.typed.json'], { cwd: dir });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const bad = await run(process.execPath, [TSC, '-p', 'tsconfig.misspelled.json'], { cwd: dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /misspelled\.ts\(4,\d+\): error TS2345: Argument of type '"confirmd"'/);
  });
});
