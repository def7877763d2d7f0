// The HA layout live on loopback (82 to 135 s on a shared two-core machine): the service's instances found through
// file_sd, two Prometheus replicas with distinct replica labels running the generated HA configuration and
// rules, two Alertmanagers clustered over gossip running the generated routing, Slack and SMTP sinks. An
// alert both replicas fire is notified once; once again with one Alertmanager killed before it notified;
// with one Prometheus killed, alerts keep flowing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { capacityPlan } from '../../src/monitoring/capacity.ts';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { serviceTargets } from '../../src/monitoring/ha.ts';
import type { ManagedProcess } from '../support/processes.ts';
import type { SlackMessage } from '../support/sinks.ts';
import { sleep, waitFor } from '../support/wait.ts';
import {
  clusterStatus,
  type HaStack,
  startHaStack,
  startVictoria,
  testConfig,
  type Victoria,
} from './ha-stack.ts';

// Long enough to kill an Alertmanager between receiving an alert and notifying it.
// The error-rate alert is driven with /api/fail, a demo endpoint the production selector leaves out.
const config = testConfig({ alertmanager: { groupWait: '4s' }, selectors: { api: 'endpoint!="unmatched"' } });
const PEER_TIMEOUT_MS = 3_000;
/** After the first notification: every member has passed its group wait and twice its peer wait. */
const QUIET_MS = 4_000 + 2 * PEER_TIMEOUT_MS + 2_000;

let stack: HaStack;
let vm: Victoria;

before(async () => {
  vm = await startVictoria(config);
  stack = await startHaStack({
    config,
    services: capacityPlan(createContext(config)).instances,
    remoteWriteUrl: vm.writeUrl,
  });
});

after(async () => {
  await stack?.stop();
  await vm?.destroy();
});

/** SIGKILL, as a crash; polled, because the test's own handles may not keep the event loop alive. */
async function kill(proc: ManagedProcess): Promise<void> {
  proc.kill('SIGKILL');
  await waitFor(() => proc.exitStatus() !== null, { timeoutMs: 10_000, what: `${proc.name} to die` });
}

const title = (m: SlackMessage) => m.body.attachments?.[0]?.title ?? '';
const slackFor = (alert: string, status: 'FIRING' | 'RESOLVED' = 'FIRING') =>
  stack.slack.received.filter((m) => title(m).includes(`[${status}`) && title(m).includes(` ${alert} `));

/** Both replicas have the alert firing for a target matching `instance`. */
async function firingOnBoth(alert: string, labels: Record<string, string>): Promise<void> {
  await waitFor(
    async () => {
      for (const p of stack.proms) {
        const alerts = await p.alerts();
        const hit = alerts.some(
          (a) =>
            a.labels.alertname === alert &&
            a.state === 'firing' &&
            Object.entries(labels).every(([k, v]) => a.labels[k] === v),
        );
        if (!hit) return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `${alert} firing on both replicas` },
  );
}

describe('HA Prometheus and Alertmanager, live', { timeout: 300_000 }, () => {
  test("both replicas discover the capacity plan's service instances through file_sd", async () => {
    const planned = capacityPlan(createContext()).instances;
    // The committed file_sd list holds the plan's count; this run discovers the same number.
    assert.equal(serviceTargets(createContext())[0]!.targets.length, planned);
    for (const p of stack.proms) {
      const targets = await waitFor(
        async () => {
          const t = (await p.targets()).filter((x) => x.labels.job === monitoringConfig.jobs.service);
          return t.length === planned && t.every((x) => x.health === 'up') ? t : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `${planned} service instances up` },
      );
      assert.deepEqual(
        targets.map((t) => t.labels.instance).sort(),
        stack.services.map((s) => s.target).sort(),
      );
      assert.equal(targets[0]!.discoveredLabels.__meta_filepath, stack.layout.serviceTargetsFile);
    }
  });

  test('the two Alertmanagers form one cluster', async () => {
    for (const am of stack.ams) {
      const c = await waitFor(
        async () => {
          const s = await clusterStatus(am);
          return s.status === 'ready' && s.peers.length === stack.ams.length ? s : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'the Alertmanager cluster to settle' },
      );
      assert.equal(c.peers.length, 2);
    }
  });

  test('an alert fired by both replicas reaches Slack and e-mail exactly once', async () => {
    const down = stack.services[1]!;
    await down.process.stop();
    await firingOnBoth('TargetDown', { instance: down.target });
    const first = await stack.slack.waitFor(
      (m) => title(m) === '[FIRING:1] TargetDown (critical) on askproai',
      30_000,
    );
    assert.match(first.body.attachments![0]!.text ?? '', new RegExp(`Instance: ${down.target}`));
    // Both Alertmanagers hold the alert (both replicas sent it to both) ...
    for (const am of stack.ams) {
      const alerts = await am.alerts();
      assert.equal(
        alerts.filter((a) => a.labels.alertname === 'TargetDown' && a.labels.service === 'askproai').length,
        1,
      );
      // ... without the replica label, so the two replicas' alerts are one.
      assert.ok(alerts.every((a) => a.labels.replica === undefined));
    }
    // Absence cannot be awaited: give the second member its group wait and peer wait.
    await sleep(QUIET_MS);
    assert.equal(slackFor('TargetDown').filter((m) => title(m).endsWith('on askproai')).length, 1);
    assert.equal(
      stack.smtp.received.filter((m) => m.subject === '[FIRING:1] TargetDown (critical) on askproai').length,
      1,
    );
  });

  test('with one Alertmanager killed after receiving the alert and before notifying, it still arrives once', async () => {
    const alert = 'AskProAIHighErrorRate';
    const app = stack.services[0]!;
    let failing = true;
    const load = (async () => {
      while (failing) {
        await fetch(`http://127.0.0.1:${app.port}/api/fail`)
          .then((r) => r.arrayBuffer())
          .catch(() => undefined);
      }
    })();
    try {
      // Both members received it from the replicas ...
      await waitFor(
        async () => {
          for (const am of stack.ams) {
            if (!(await am.alerts()).some((a) => a.labels.alertname === alert)) return false;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${alert} at both Alertmanagers` },
      );
      // ... and the first in the cluster's order (the one that would notify at once) dies mid-way.
      const names = await Promise.all(stack.ams.map(async (am) => (await clusterStatus(am)).name));
      const first = names.indexOf([...names].sort()[0]!);
      await kill(stack.ams[first]!.process);
      assert.equal(slackFor(alert).length, 0, 'notified before the kill: the test did not kill mid-way');
      // Warning and critical fire together; the critical one inhibits the warning.
      const message = await stack.slack.waitFor((m) => title(m).includes(`[FIRING:1] ${alert}`), 30_000);
      assert.equal(title(message), `[FIRING:1] ${alert} (critical) on askproai`);
      await sleep(QUIET_MS);
      assert.equal(slackFor(alert).length, 1);
    } finally {
      failing = false;
      await load;
    }
  });

  test('with one Prometheus killed, alerts keep flowing', async () => {
    await kill(stack.proms[0]!.process);
    // The other instance goes down too: only the surviving replica can tell.
    const app = stack.services[0]!;
    await app.process.stop();
    const message = await stack.slack.waitFor(
      (m) => title(m) === '[FIRING:2] TargetDown (critical) on askproai',
      60_000,
    );
    assert.match(message.body.attachments![0]!.text ?? '', new RegExp(`Instance: ${app.target}`));
    const survivor = stack.proms[1]!;
    assert.ok(
      (await survivor.alerts()).some(
        (a) => a.labels.alertname === 'TargetDown' && a.labels.instance === app.target,
      ),
    );
  });
});
