#!/usr/bin/env node
// The `askproai` command. The sources are TypeScript run through tsx, so the repository works
// straight after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
