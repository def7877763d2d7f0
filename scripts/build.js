#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm install`, `npm ci` and `npm pack` build too): compiles src/ to
// dist/ with tsc (tsconfig.build.json) and copies the files the code reads at run time (everything under
// src/ that is not TypeScript, such as the admin page's HTML and script) beside the compiled modules.
//
//   node scripts/build.js            clean dist/, compile, copy assets
//   node scripts/build.js --prepare  the same, but only a note when TypeScript is not installed
//                                    (`npm ci --omit=dev` in a checkout): it then keeps an existing dist/
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const prepare = process.argv.includes('--prepare');

let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  const message =
    'TypeScript is not installed (it is a development dependency), so dist/ cannot be built here.';
  if (prepare) {
    process.stderr.write(
      `askproai build: ${message} ${existsSync(join(dist, 'cli', 'index.js')) ? 'Keeping the existing dist/.' : 'Run `npm install` (with dev dependencies) and `npm run build`, or install the packed package instead.'}\n`,
    );
    process.exit(0);
  }
  process.stderr.write(`askproai build: ${message} Run \`npm install\` first.\n`);
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('askproai build: tsc failed (see above); dist/ is incomplete.\n');
  process.exit(1);
}

/** Every non-TypeScript file under src/, copied to the same place under dist/. */
function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) cpSync(from, join(dist, relative(src, from)));
  }
}
copyAssets(src);
