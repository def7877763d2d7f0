#!/usr/bin/env node
// The `askproai` command: the compiled CLI in dist/ (`npm run build`; `npm install` builds it on `prepare`).
// In a checkout, `node scripts/askproai-dev.js` runs the TypeScript sources instead.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'askproai: dist/ is missing. Run `npm run build` (or `npm install`, which builds on prepare).\n',
  );
  process.exit(1);
}
await import(entry.href);
