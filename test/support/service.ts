// The reference service as a real process on a free loopback port, on its own SQLite file, as the live
// stack tests scrape it: `scripts/askproai-dev.js serve` (never bin/askproai.js, which needs a build).
import { join, resolve } from 'node:path';
import { withFreePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface TestService {
  port: number;
  process: ManagedProcess;
}

/** Starts the service with `token` as its metrics token; its data dir goes when the process stops. */
export async function startTestService(token: string, name = 'askproai serve'): Promise<TestService> {
  const dataDir = await makeTempDir('service');
  let port = 0;
  const proc = await withFreePort(async (p) => {
    port = p;
    return spawnProcess(process.execPath, [join(ROOT, 'scripts/askproai-dev.js'), 'serve'], {
      name: `${name} :${p}`,
      cwd: ROOT,
      env: {
        PORT: String(p),
        HOST: '127.0.0.1',
        METRICS_AUTH_TOKEN: token,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: `sqlite:${join(dataDir, 'askproai.sqlite')}`,
      },
      tempDirs: [dataDir],
      readyUrl: `http://127.0.0.1:${p}/api/health`,
      timeoutMs: 90_000,
    });
  });
  return { port, process: proc };
}
