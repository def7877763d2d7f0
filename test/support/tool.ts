// Runs a command-line tool (promtool, amtool, kubectl, docker-compose, sh) to completion and hands back
// its exit code and output instead of throwing on a non-zero exit, so tests can assert on both.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  /** Exit code (1 when the tool was killed or could not start). */
  code: number;
  stdout: string;
  /** stdout followed by stderr. */
  out: string;
}

export interface ToolOptions {
  cwd?: string;
  /** The whole environment of the tool (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (default 60 s). */
  timeoutMs?: number;
}

export async function runTool(
  cmd: string,
  args: readonly string[],
  options: ToolOptions = {},
): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(cmd, [...args], {
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    const stdout = e.stdout ?? '';
    return { code: typeof e.code === 'number' ? e.code : 1, stdout, out: `${stdout}${e.stderr ?? ''}` };
  }
}
