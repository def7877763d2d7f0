/**
 * The library's public surface is what package.json `exports` names. The service and the CLI in this
 * repository use the library only through those entry files, as another AskProAI service would: an import
 * from src/service or src/cli into any other file under src/metrics fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './support.ts';

interface Manifest {
  exports: Record<string, string>;
  files: string[];
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** `./dist/metrics/http/express.js` -> `src/metrics/http/express.ts`. */
function sourceOf(target: string): string {
  return target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
}

const entries = Object.entries(manifest.exports).filter(([key]) => key !== './package.json');
const entryFiles = new Set(entries.map(([, target]) => sourceOf(target)));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative module specifiers of static imports, re-exports and dynamic imports with a literal. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) found.push(m[1]!);
  return found;
}

/** Files under src/service and src/cli importing a file of src/metrics that is not an entry. */
export function deepImports(files: readonly string[], read: (file: string) => string): string[] {
  const bad: string[] = [];
  for (const file of files) {
    for (const spec of specifiers(read(file))) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      if (target.startsWith('src/metrics/') && !entryFiles.has(target)) bad.push(`${file} imports ${target}`);
    }
  }
  return bad;
}

describe('the package surface', () => {
  test('every exports entry is one line: a subpath mapped to one compiled file whose source exists', () => {
    assert.ok(entries.length >= 4);
    for (const [key, target] of entries) {
      assert.equal(typeof target, 'string', `${key}: a plain path (the .d.ts sits beside the .js)`);
      assert.match(key, /^\.\/metrics(\/[a-z-]+)?$/, key);
      assert.match(target, /^\.\/dist\/.+\.js$/, `${key} -> ${target}`);
      assert.ok(existsSync(join(ROOT, sourceOf(target))), `${key}: ${sourceOf(target)} exists`);
    }
    assert.ok(manifest.files.includes('dist/'));
  });

  test('src/service and src/cli import src/metrics only through the exported entry files', () => {
    const files = [...tsFiles('src/service'), ...tsFiles('src/cli')];
    assert.ok(files.length > 20);
    assert.deepEqual(
      deepImports(files, (f) => readFileSync(join(ROOT, f), 'utf8')),
      [],
    );
  });

  test('a deep import is caught', () => {
    const source =
      "import { Registry } from '../metrics/core/registry.ts';\nimport x from '../metrics/index.ts';";
    assert.deepEqual(
      deepImports(['src/service/example.ts'], () => source),
      ['src/service/example.ts imports src/metrics/core/registry.ts'],
    );
  });
});
