/**
 * The container image without a Docker engine (there is none here): the Dockerfile's instructions run
 * outside a container exactly as written, each stage in its own folder standing for the image's root
 * (`/app` -> `<stage>/app`): COPY from the build context (checked against .dockerignore) or from an earlier
 * stage, RUN through `sh -c` with the stage's ENV (npm offline from the cache), then the runtime stage's
 * CMD and HEALTHCHECK against what the stages produced. Differences, all forced by running without Docker:
 * the base images are this machine's Node 20 and Debian; PORT is a free port and /run/secrets/* are temp
 * files; `--chown` and USER are checked, not applied (there is no `node` user here); and
 * `npm rebuild better-sqlite3` gets this repository's identical build unless ASKPROAI_SHIP_COMPILE=1 (see
 * support.ts). The compose file's `app` profile is validated with `docker-compose config`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, makeTempDir, spawnProcess } from '../support/processes.ts';
import { npmEnv, provideNativeBuild, ROOT, run, runOk } from './support.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  image: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: string[];
}

function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** `ENV A=1 B=2` */
function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(
    [...args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]),
  );
}

/** The .dockerignore as used here: `**` then `!path` exceptions (a folder, a file, or `dir/**`). */
function includedByDockerignore(patterns: string[], path: string): boolean {
  assert.equal(patterns[0], '**', '.dockerignore starts by excluding everything');
  return patterns
    .slice(1)
    .filter((p) => p.startsWith('!'))
    .map((p) => p.slice(1).replace(/\/\*\*$/, ''))
    .some((p) => path === p || path.startsWith(`${p}/`));
}

describe('Dockerfile, run without a container', () => {
  const stages = new Map<string, Stage>();
  let final: Stage;
  let service: ManagedProcess | undefined;
  let port: number;
  let env: NodeJS.ProcessEnv;
  const token = randomBytes(32).toString('hex');

  before(async () => {
    const base = await makeTempDir('dockerfile');
    const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    let stage: Stage | undefined;
    for (const { op, args } of instructions(await readFile(join(ROOT, 'Dockerfile'), 'utf8'))) {
      if (op === 'FROM') {
        const [image, , name] = args.split(/\s+/);
        stage = {
          name: name ?? 'final',
          image: image!,
          root: join(base, name ?? 'final'),
          workdir: '/',
          env: {},
        };
        await mkdir(stage.root);
        stages.set(stage.name, stage);
        continue;
      }
      assert.ok(stage, `${op} before FROM`);
      const here = (p: string) => join(stage!.root, p.startsWith('/') ? p : join(stage!.workdir, p));
      if (op === 'WORKDIR') {
        stage.workdir = args;
        await mkdir(here('.'), { recursive: true });
      } else if (op === 'ENV') {
        Object.assign(stage.env, envPairs(args));
      } else if (op === 'COPY') {
        const words = args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop()!;
        for (const src of paths) {
          let source: string;
          if (from) {
            const other = stages.get(from);
            assert.ok(other, `COPY --from=${from}: no such stage`);
            source = join(other.root, src);
          } else {
            assert.ok(includedByDockerignore(ignore, src), `${src} is excluded by .dockerignore`);
            source = join(ROOT, src);
          }
          assert.ok(existsSync(source), `COPY ${src}: missing`);
          // Docker's rules: a folder's contents go to the destination; files keep their name in `dir/`.
          const isDir = (await stat(source)).isDirectory();
          const target = dest.endsWith('/') && !isDir ? join(here(dest), basename(src)) : here(dest);
          await mkdir(dirname(target), { recursive: true });
          await cp(source, target, { recursive: true });
        }
      } else if (op === 'RUN') {
        const cwd = here('.');
        if (args === 'npm rebuild better-sqlite3' && process.env.ASKPROAI_SHIP_COMPILE !== '1') {
          assert.equal(await provideNativeBuild(cwd), 'reused');
        } else {
          await runOk('sh', ['-c', args], { cwd, env: npmEnv(stage.env), timeoutMs: 600_000 });
        }
      } else if (op === 'USER') {
        stage.user = args;
      } else if (op === 'CMD') {
        stage.cmd = JSON.parse(args) as string[];
      } else if (op === 'HEALTHCHECK') {
        stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4)) as string[];
      } else {
        assert.ok(['EXPOSE', 'ARG', 'LABEL', 'VOLUME'].includes(op), `unexpected instruction ${op}`);
      }
    }
    final = stage!;
    port = await freePort();
    const secrets = join(base, 'run/secrets');
    await mkdir(secrets, { recursive: true });
    await writeFile(join(secrets, 'metrics_token'), `${token}\n`);
    await writeFile(join(secrets, 'retell_api_key'), randomBytes(24).toString('hex'));
    await writeFile(join(secrets, 'calcom_webhook_secret'), randomBytes(24).toString('hex'));
    await writeFile(join(secrets, 'session_secret'), randomBytes(32).toString('hex'));
    const mapped = Object.fromEntries(
      Object.entries(final.env).map(([k, v]) => [k, v.startsWith('/run/secrets/') ? join(base, v) : v]),
    );
    env = { PATH: process.env.PATH, ...mapped, PORT: String(port), LOG_LEVEL: 'warn' };
    service = await spawnProcess(final.cmd![0]!, final.cmd!.slice(1), {
      name: 'image CMD',
      cwd: join(final.root, final.workdir),
      env,
      readyUrl: `http://127.0.0.1:${port}/api/health`,
      timeoutMs: 60_000,
    });
  });

  after(async () => {
    await service?.stop();
  });

  test('multi-stage, pinned Node 20 base by exact tag, non-root, production settings, no secret baked in', () => {
    assert.ok(stages.size >= 2);
    for (const s of stages.values()) assert.match(s.image, /^node:20\.\d+\.\d+-[a-z-]+$/, s.name);
    assert.ok(final.user && final.user !== 'root' && final.user !== '0', 'runs as a non-root user');
    assert.equal(final.env.NODE_ENV, 'production');
    assert.equal(final.env.HOST, '0.0.0.0');
    for (const [k, v] of Object.entries(final.env)) {
      assert.ok(!/TOKEN$|KEY$|SECRET$|PASSWORD$|DSN$/.test(k), `${k} must come from a *_FILE variable`);
      if (k.endsWith('_FILE')) assert.match(v, /^\/run\/secrets\//, k);
    }
    assert.ok(final.healthcheck, 'HEALTHCHECK');
    assert.equal(final.healthcheck![0], 'node', 'the health check needs no curl in the image');
  });

  test('the runtime stage holds compiled JavaScript and production dependencies only', () => {
    const app = join(final.root, final.workdir);
    assert.ok(existsSync(join(app, 'dist/cli/index.js')));
    assert.equal(existsSync(join(app, 'src')), false);
    for (const dev of ['tsx', 'typescript', '@grafana/grafana-foundation-sdk']) {
      assert.equal(existsSync(join(app, 'node_modules', dev)), false, dev);
    }
  });

  test('better-sqlite3 in the runtime stage is its JavaScript and addon, without C sources or compile outputs', async () => {
    const pkg = join(final.root, final.workdir, 'node_modules/better-sqlite3');
    assert.deepEqual((await readdir(join(pkg, 'build'), { recursive: true })).sort(), [
      'Release',
      'Release/better_sqlite3.node',
    ]);
    for (const dir of ['deps', 'src']) assert.equal(existsSync(join(pkg, dir)), false, dir);
    assert.ok(existsSync(join(pkg, 'lib/index.js')));
  });

  test('CMD serves /api/metrics with the token from its secret file; HEALTHCHECK passes, then fails when down', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# TYPE askproai_bookings_total counter$/m);
    const check = () =>
      run(final.healthcheck![0]!, final.healthcheck!.slice(1), { cwd: join(final.root, final.workdir), env });
    assert.equal((await check()).code, 0);
    await service!.stop();
    assert.equal((await check()).code, 1);
  });

  test('docker-compose: the app profile builds this image and Prometheus finds it by service name', async () => {
    const file = 'docker-compose.observability.yml';
    const r = await run('docker-compose', ['-f', file, '--profile', 'app', 'config'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GF_SECURITY_ADMIN_PASSWORD: 'a-long-random-password',
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const app = (parse(r.stdout) as { services: Record<string, Record<string, unknown>> }).services.app!;
    assert.deepEqual(app.profiles, ['app']);
    assert.ok(JSON.stringify(app.build).includes(ROOT), 'built from this directory');
    const prom = parse(await readFile(join(ROOT, 'observability/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: unknown[];
      }[];
    };
    const job = prom.scrape_configs.find((j) => j.job_name === 'askproai')!;
    assert.deepEqual(
      job.static_configs,
      [{ targets: ['host.docker.internal:8080'] }],
      'the host stays the default',
    );
    assert.deepEqual(job.dns_sd_configs, [{ names: ['app'], type: 'A', port: 8080 }]);
  });
});
