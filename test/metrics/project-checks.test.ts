import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// The type check covers the compile-time guarantees of the catalog (catalog-types.check.ts).
test('the whole project type-checks (strict), including the catalog compile-time checks', () => {
  const r = spawnSync('npx', ['tsc', '--noEmit'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('biome finds no lint or format errors', () => {
  const r = spawnSync('npx', ['biome', 'check', '--diagnostic-level=error', '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`.slice(-4000));
});
