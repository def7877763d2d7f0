/**
 * Shared by the ship tests: the project packed once per test run (`npm pack`, which builds dist/ first)
 * and installs of that tarball. `scripts/test.sh` exports ASKPROAI_TEST_TMP, so the first test file to
 * get here packs and the others wait for its result; run alone, a file packs for itself.
 *
 * The install: npm cannot resolve registry metadata offline (`npm install <tarball>` asks the registry for
 * each dependency's full packument, which the cache here does not hold), so the tarball is installed the
 * way a release artifact is deployed: unpacked into an empty folder, then `npm ci --omit=dev` from the
 * npm-shrinkwrap.json it ships (the exact versions of package-lock.json, tarballs from the cache).
 *
 * Native addon: a real install compiles better-sqlite3 from source (about 80 s on an idle machine, minutes
 * on a busy one; there is no network for its prebuilt binaries). To keep the suite usable the install runs
 * with --ignore-scripts and then gets the better-sqlite3 binary already built in this repository's
 * node_modules, after checking it is the very same version (same Node, same machine).
 * ASKPROAI_SHIP_COMPILE=1 compiles it for real instead.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeTempDir } from '../support/processes.ts';
import { waitFor } from '../support/wait.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment for npm: offline from the cache, no settings inherited from `npm test`. */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? npmEnv(),
        timeout: options.timeoutMs ?? 900_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export async function runOk(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`,
    );
  }
  return r;
}

export interface Packed {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** Where the ship tests of this run keep their files. */
  dir: string;
  /** The tarball installed for production (no dev dependencies), shared read-only by the tests. */
  install: string;
  native: 'compiled' | 'reused' | 'absent';
}

let packing: Promise<Packed> | undefined;

/** The packed and production-installed project, made once per test run and shared between ship tests. */
export function packedProject(): Promise<Packed> {
  packing ??= packShared();
  return packing;
}

async function packAndInstall(base: string): Promise<Packed> {
  const r = await runOk('npm', ['pack', '--pack-destination', base], { cwd: ROOT, timeoutMs: 1_200_000 });
  const tarball = join(base, r.stdout.trim().split('\n').pop()!.trim());
  const install = join(base, 'install');
  await mkdir(install);
  await runOk('tar', ['xzf', tarball, '-C', install, '--strip-components=1'], { cwd: base });
  await runOk('npm', ['ci', '--omit=dev', '--ignore-scripts'], { cwd: install, timeoutMs: 1_200_000 });
  const native = await provideNativeBuild(install);
  return { tarball, dir: base, install, native };
}

async function packShared(): Promise<Packed> {
  const base = process.env.ASKPROAI_TEST_TMP
    ? join(process.env.ASKPROAI_TEST_TMP, 'ship')
    : await makeTempDir('ship');
  await mkdir(base, { recursive: true });
  const result = join(base, 'packed.json');
  const failed = join(base, 'pack-failed.txt');
  let owner = false;
  try {
    await mkdir(join(base, 'pack.lock'));
    owner = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (owner) {
    try {
      const packed = await packAndInstall(base);
      await writeFile(result, JSON.stringify(packed));
      return packed;
    } catch (err) {
      await writeFile(failed, String((err as Error).message));
      throw err;
    }
  }
  const outcome = await waitFor(
    async () => {
      const text = await readFile(failed, 'utf8').catch(() => undefined);
      if (text !== undefined) return { failed: text };
      const packed = await readFile(result, 'utf8').catch(() => undefined);
      return packed === undefined ? undefined : { packed: JSON.parse(packed) as Packed };
    },
    { what: 'the packed project (another test file packs it)', timeoutMs: 1_200_000, intervalMs: 250 },
  );
  if ('failed' in outcome) throw new Error(`packing failed in another test file:\n${outcome.failed}`);
  return outcome.packed;
}

/** The version of a package installed under `root`. */
async function versionIn(root: string, pkg: string): Promise<string> {
  return (
    JSON.parse(await readFile(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/**
 * After an install with --ignore-scripts: better-sqlite3's binary, either compiled here
 * (ASKPROAI_SHIP_COMPILE=1) or copied from this repository's identical build.
 */
export async function provideNativeBuild(dir: string): Promise<'compiled' | 'reused' | 'absent'> {
  const have = await versionIn(dir, 'better-sqlite3').catch(() => undefined);
  if (have === undefined) return 'absent';
  if (process.env.ASKPROAI_SHIP_COMPILE === '1') {
    await runOk('npm', ['rebuild', 'better-sqlite3'], { cwd: dir, timeoutMs: 600_000 });
    return 'compiled';
  }
  const ours = await versionIn(ROOT, 'better-sqlite3');
  if (have !== ours) {
    throw new Error(
      `better-sqlite3 ${have} installed, but this repository built ${ours}; cannot reuse its binary`,
    );
  }
  const from = join(ROOT, 'node_modules/better-sqlite3/build/Release');
  const to = join(dir, 'node_modules/better-sqlite3/build/Release');
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) {
    if (file.endsWith('.node')) await copyFile(join(from, file), join(to, file));
  }
  return 'reused';
}
