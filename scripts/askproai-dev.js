#!/usr/bin/env node
// The `askproai` command straight from the TypeScript sources (through tsx, a development dependency), for
// development and the tests: what src/ says now, with no build step. Production runs bin/askproai.js (dist/).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
