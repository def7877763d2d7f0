/**
 * The lazy CLI from the sources: `--help` lists every command with the description the command itself
 * declares, and loads no command module; running one command loads only that one.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands.ts';
import { makeTempDir } from '../support/processes.ts';
import { ROOT, run } from './support.ts';

const DEV_CLI = join(ROOT, 'scripts/askproai-dev.js');
const RECORDER = join(ROOT, 'test/ship/fixtures/record-loads.mjs');

async function cli(args: string[]) {
  const log = join(await makeTempDir('cli-loads'), 'loaded.txt');
  const r = await run(process.execPath, [`--import=${RECORDER}`, DEV_CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ASKPROAI_LOAD_LOG: log, NODE_ENV: 'test' },
    timeoutMs: 60_000,
  });
  const loaded = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    ...r,
    commandsLoaded: loaded.filter((u) => u.includes('/src/cli/commands/')).map((u) => u.split('/').pop()),
  };
}

describe('askproai (lazy commands)', () => {
  test('each summary in the command table is the command’s own description', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('askproai');
      (await entry.load()).register(program);
      const command = program.commands.find((c) => c.name() === entry.name);
      assert.ok(command, `${entry.name} registers itself`);
      assert.equal(entry.summary, command.description(), entry.name);
    }
  });

  test('--help lists every command and loads none of them', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const entry of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${entry.name} `, 'm'));
    assert.deepEqual(r.commandsLoaded, []);
  });

  test('a command loads only its own module; an unknown one is an error', async () => {
    const r = await cli(['metrics:collect', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--immediate/);
    assert.deepEqual(r.commandsLoaded, ['collect.ts']);
    const unknown = await cli(['no-such-command']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command 'no-such-command'/);
    assert.deepEqual(unknown.commandsLoaded, []);
  });
});
