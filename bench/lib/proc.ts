/** Process helpers for the request-path benchmark: CPU time from /proc, pinning, spawning servers. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User plus system CPU seconds of a whole process (all its threads), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which sits in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

let schedstatFd: number | undefined;
const schedstatBuf = Buffer.alloc(256);

/**
 * The main thread's scheduler account, from /proc/self/task/<pid>/schedstat (the main thread's tid is
 * the pid): ns run on a CPU, ns waited on a run queue, times scheduled in. The file stays open and is
 * read at offset 0 into one buffer: `readFileSync` allocates two 64 KiB buffers per call for a file of
 * unknown size, and at a probe's 1 kHz that external memory alone made V8 run a major collection
 * every half second, in the very process being measured. The kernel brings a running thread's account
 * up to date only on a tick or a context switch: call `process.cpuUsage()` (getrusage) first.
 */
export function mainThreadSchedstat(): [run: number, waited: number, slices: number] {
  schedstatFd ??= openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  const n = readSync(schedstatFd, schedstatBuf, 0, schedstatBuf.length, 0);
  const [run, waited, slices] = schedstatBuf.toString('latin1', 0, n).split(' ');
  return [Number(run), Number(waited), Number(slices)];
}

/** The clock-tick resolution of cpuSeconds(), in seconds. */
export const CPU_RESOLUTION = 1 / CLK_TCK;

/** True when `taskset` is available and the machine has at least two CPUs to pin to. */
export function canPin(cpus: number): boolean {
  if (cpus < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process to one CPU. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export interface Server {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
}

/**
 * Starts a server script (pinned to `cpu` when given) and waits for its `{"port":N}` line.
 * `taskset` execs node, so the child's pid is the server's pid.
 */
export function startServer(
  name: string,
  script: string,
  variant: string,
  cpu: number | null,
  extraArgs: readonly string[] = [],
): Promise<Server> {
  const node = [process.execPath, '--import', 'tsx', script, variant, ...extraArgs];
  const [cmd, ...args] = cpu === null ? node : ['taskset', '-c', String(cpu), ...node];
  const child = spawn(cmd!, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no port announced within 60 s`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited with code ${code} before listening`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const { port } = JSON.parse(line) as { port: number };
      resolve({ name, port, pid: child.pid!, child });
    });
  });
}

/** Stops a server this benchmark started, by its own handle. */
export function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}
