import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface SpawnOptions {
  /** Name for messages; defaults to the command's basename. */
  name?: string;
  /** Extra environment, merged over process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ready once this returns true for the output seen so far (stdout and stderr interleaved). */
  readyWhen?: (output: string) => boolean;
  /** Ready once a GET of this URL answers 2xx. */
  readyUrl?: string;
  /** Headers of that GET (credentials of a server behind basic auth). */
  readyHeaders?: Record<string, string>;
  /** How long to wait for readiness (default 30 s). */
  timeoutMs?: number;
  /** Directories removed by stop() (and when the test process exits). */
  tempDirs?: string[];
  /** Size of the output ring buffer in lines (default 500). */
  outputLines?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The command line, for messages. */
  readonly commandLine: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Null while running. */
  exitStatus(): ProcessExit | null;
  /** The last `outputLines` lines of stdout+stderr. */
  output(): string;
  /** The last `lines` lines of output. */
  tail(lines?: number): string;
  /** Send a signal without waiting or cleaning up (e.g. SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after 3 s, wait for the exit, remove the temp dirs. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Everything still running (and every temp dir) is removed when the test process goes away, so a failed
// assertion or a forgotten stop() never leaves daemons or files behind.
// ---------------------------------------------------------------------------------------------------------
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function killEverythingSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  killEverythingSync();
  // When nobody else handles the signal, die from it as the default action would have.
  if (process.listenerCount(signal) <= 1) {
    process.removeListener(signal, onFatalSignal);
    process.kill(process.pid, signal);
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killEverythingSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onFatalSignal);
}

/** A fresh directory under os.tmpdir() (honours TMPDIR), removed at the latest when the process exits. */
export async function makeTempDir(prefix: string): Promise<string> {
  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), `askproai-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Format the failure of a helper: message, command line and the last lines of output. */
export function processError(proc: Pick<ManagedProcess, 'commandLine' | 'tail'>, message: string): Error {
  const tail = proc.tail(30);
  return new Error(
    `${message}\ncommand: ${proc.commandLine}\n` +
      (tail ? `last 30 lines of output:\n${tail.replace(/^/gm, '  | ')}` : '(no output)'),
  );
}

/**
 * Start a long-running process, keep its output in a ring buffer and wait until it is ready
 * (`readyWhen` matched the output and/or `readyUrl` answered 2xx). Throws, with the output's tail,
 * when it exits early or is not ready in time; the process is killed and its temp dirs removed then.
 */
export async function spawnProcess(
  cmd: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<ManagedProcess> {
  installExitHooks();
  const name = options.name ?? basename(cmd);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxLines = options.outputLines ?? 500;
  const ownedDirs = [...(options.tempDirs ?? [])];
  for (const dir of ownedDirs) tempDirs.add(dir);

  const lines: string[] = [];
  const partial = { stdout: '', stderr: '' };
  const pushText = (stream: 'stdout' | 'stderr', text: string) => {
    const parts = (partial[stream] + text).split(/\r?\n/);
    partial[stream] = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > maxLines) lines.shift();
    }
  };
  const output = () => [...lines, partial.stdout, partial.stderr].filter((l) => l !== '').join('\n');
  const tail = (n = 30) => output().split('\n').slice(-n).join('\n');

  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const commandLine = [cmd, ...args].map(quote).join(' ');

  let status: ProcessExit | null = null;
  let spawnError: Error | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      // 'exit' does not follow an error when the process never started.
      if (child.pid === undefined) {
        status = { code: null, signal: null };
        liveChildren.delete(child);
        resolve(status);
      }
    });
    child.once('exit', (code, signal) => {
      status = { code, signal };
      liveChildren.delete(child);
      resolve(status);
    });
  });
  liveChildren.add(child);

  let notify: (() => void) | undefined;
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    pushText('stdout', text);
    notify?.();
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    pushText('stderr', text);
    notify?.();
  });
  // A forgotten stop() must not keep the test process alive; the exit hook kills the process instead.
  child.unref();
  (child.stdout as Socket | null)?.unref?.();
  (child.stderr as Socket | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const handle: ManagedProcess = {
    name,
    get pid() {
      return child.pid ?? -1;
    },
    child,
    commandLine,
    exited,
    exitStatus: () => status,
    output,
    tail,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (status === null) child.kill(signal);
    },
    stop() {
      stopping ??= (async () => {
        if (status === null) {
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const killed = await Promise.race([
            exited.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), 3_000);
            }),
          ]);
          clearTimeout(timer);
          if (killed && status === null) {
            child.kill('SIGKILL');
            // The child and its pipes are unref'd: without a handle of its own, the test process could
            // find its event loop empty before the exit event arrives.
            const keepAlive = setInterval(() => undefined, 1_000);
            await exited.finally(() => clearInterval(keepAlive));
          }
        }
        await Promise.all(
          ownedDirs.map(async (dir) => {
            tempDirs.delete(dir);
            await rm(dir, { recursive: true, force: true, maxRetries: 3 });
          }),
        );
      })();
      return stopping;
    },
  };

  // ----- readiness -----
  const describeExit = (s: ProcessExit) =>
    spawnError && child.pid === undefined
      ? `could not be started (${spawnError.message}); is it installed? 'npm test' installs the Debian packages`
      : `exited (${s.signal ? `signal ${s.signal}` : `code ${s.code}`}) before it was ready`;

  try {
    await new Promise<void>((resolve, reject) => {
      let done = false;
      let outputReady = options.readyWhen === undefined;
      let urlReady = options.readyUrl === undefined;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(pollTimer);
        notify = undefined;
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (!outputReady && options.readyWhen?.(output())) outputReady = true;
        if (outputReady && urlReady) finish();
      };
      const timer = setTimeout(
        () => finish(processError(handle, `${name} was not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      let pollTimer: NodeJS.Timeout | undefined;
      const poll = async () => {
        if (done || options.readyUrl === undefined) return;
        try {
          const response = await fetch(options.readyUrl, {
            headers: options.readyHeaders,
            signal: AbortSignal.timeout(2_000),
          });
          await response.arrayBuffer();
          if (response.ok) {
            urlReady = true;
            check();
            return;
          }
        } catch {
          // not listening yet
        }
        if (!done) pollTimer = setTimeout(poll, 100);
      };
      notify = check;
      exited.then((s) => finish(processError(handle, `${name} ${describeExit(s)}`)));
      child.once('spawn', () => {
        check();
        void poll();
      });
    });
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}
