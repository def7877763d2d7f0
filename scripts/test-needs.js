#!/usr/bin/env node
// What each test file needs, read from its source and the test helpers it imports (transitively):
//   redis, postgres, mysql  the throwaway databases scripts/test.sh starts (the file or a helper uses
//                           redisUrl()/postgresUrl()/mysqlUrl(), their variables, or fresh*Db())
//   tools                   Debian packages scripts/install-deps.sh installs (Prometheus, promtool, htpasswd,
//                           Alertmanager, exporters, VictoriaMetrics, Chromium, docker-compose)
//   pack                    builds and installs the packed project (packedProject()): minutes, not a unit test
// A file that needs none of these is a unit test (`npm run test:unit`).
//
//   node scripts/test-needs.js FILE...   prints "FILE<TAB>need need ..." per file
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const RULES = [
  ['redis', /\bredisUrl\(|\bREDIS_URL\b/],
  ['postgres', /\bpostgresUrl\(|\bPOSTGRES_URL\b|\bfreshPostgresDb\b/],
  ['mysql', /\bmysqlUrl\(|\bMYSQL_URL\b|\bfreshMysqlDb\b/],
  [
    'tools',
    /support\/(prometheus|alertmanager|chromium|victoria|exporters)\.ts|\bpromtool\b|\bamtool\b|docker-compose['"]|\bhtpasswd\b|webAuthPaths|\/usr\/bin\/(chromium|prometheus)/,
  ],
];
// Where the helpers define these names; only their callers need the service.
const DEFINITIONS = new Set(['test/support/env.ts']);

function sourcesOf(file, seen = new Set()) {
  const path = resolve(file);
  if (seen.has(path) || !existsSync(path)) return seen;
  seen.add(path);
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+\.ts)['"]/g)) {
    const target = resolve(dirname(path), m[1]);
    if (relative(process.cwd(), target).startsWith('test/')) sourcesOf(target, seen);
  }
  return seen;
}

for (const file of process.argv.slice(2)) {
  const needs = new Set();
  if (existsSync(file) && /\b(packedProject|provideNativeBuild)\(/.test(readFileSync(file, 'utf8')))
    needs.add('pack');
  for (const path of sourcesOf(file)) {
    if (DEFINITIONS.has(relative(process.cwd(), path))) continue;
    const text = readFileSync(path, 'utf8');
    for (const [need, re] of RULES) if (re.test(text)) needs.add(need);
  }
  process.stdout.write(`${file}\t${[...needs].join(' ')}\n`);
}
