/**
 * The generated Alertmanager routing, live: the real Alertmanager 0.25 loads the generated
 * alertmanager.yml (receivers pointed at local sinks) and gets alerts as Prometheus posts them.
 * - Watchdog reaches only the dead man's switch (the heartbeat webhook), never Slack.
 * - "No calls" style alerts (label active="business-hours") are delivered inside the generated business
 *   hours (Europe/Berlin by default) and muted outside them, decided by Alertmanager's `time_intervals`
 *   with a location: the expectation is computed from the same config for the moment of the test.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { alertmanagerTemplates, TEMPLATE_FILE } from '../../src/monitoring/alertmanager.ts';
import { BUSINESS_HOURS_LABEL } from '../../src/monitoring/alerts/funnel.ts';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { paths } from '../../src/monitoring/generate.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { type SlackSink, type SmtpSink, startSlackSink, startSmtpSink } from '../support/sinks.ts';

const ROOT = resolve(import.meta.dirname, '../..');
type Yaml = Record<string, unknown>;

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Whether `at` lies inside the configured business hours, read in their own time zone. */
function insideBusinessHours(at: Date): boolean {
  const hours = monitoringConfig.funnel.businessHours;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone,
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  const day = DAYS.indexOf(get('weekday').toLowerCase());
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const dayOk = hours.weekdays.some((range) => {
    const [from, to = from] = range.split(':');
    return day >= DAYS.indexOf(from!) && day <= DAYS.indexOf(to!);
  });
  const timeOk = hours.times.some(
    (t) => minutes >= toMinutes(t.start_time) && minutes < toMinutes(t.end_time),
  );
  return dayOk && timeOk;
}

let slack: SlackSink;
let heartbeat: SlackSink; // any JSON webhook: the Alertmanager webhook payload
let smtp: SmtpSink;
let am: Alertmanager;

before(async () => {
  [slack, heartbeat, smtp] = await Promise.all([startSlackSink(), startSlackSink(), startSmtpSink()]);
  const amYaml = parse(await readFile(join(ROOT, paths.alertmanager), 'utf8')) as Yaml & {
    global: Yaml;
    route: Yaml & { routes: (Yaml & { group_wait?: string; group_interval?: string })[] };
    templates: string[];
    receivers: { name: string; slack_configs?: Yaml[]; webhook_configs?: Yaml[] }[];
  };
  am = await startAlertmanager({
    templates: { [TEMPLATE_FILE]: alertmanagerTemplates(), slack_webhook_url: slack.url, smtp_password: 'x' },
    configYaml: ({ dir }) => {
      amYaml.global.smtp_smarthost = smtp.smarthost;
      amYaml.global.smtp_require_tls = false;
      amYaml.global.smtp_auth_password_file = join(dir, 'smtp_password');
      amYaml.templates = [join(dir, '*.tmpl')];
      Object.assign(amYaml.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
      for (const route of amYaml.route.routes) {
        if (route.group_interval !== undefined)
          Object.assign(route, { group_wait: '0s', group_interval: '1s' });
      }
      for (const r of amYaml.receivers) {
        for (const s of r.slack_configs ?? []) s.api_url_file = join(dir, 'slack_webhook_url');
        for (const w of r.webhook_configs ?? []) w.url = heartbeat.url;
      }
      return stringify(amYaml);
    },
  });
});

after(async () => {
  await Promise.allSettled([am?.stop(), slack?.stop(), heartbeat?.stop(), smtp?.stop()]);
});

const alertNames = (body: Yaml) =>
  ((body.alerts as { labels: Record<string, string> }[] | undefined) ?? []).map((a) => a.labels.alertname);

describe('the generated Alertmanager routing, live', () => {
  test('Watchdog reaches the heartbeat receiver and nobody else', async () => {
    await am.postAlerts([{ labels: { alertname: 'Watchdog', severity: 'none' } }]);
    const beat = await heartbeat.waitFor((m) => alertNames(m.body).includes('Watchdog'), 15_000);
    assert.equal(beat.body.status, 'firing');
    // A control alert posted after it reaches Slack; by then Watchdog would have too, had it been routed there.
    await am.postAlerts([{ labels: { alertname: 'RoutingControl', severity: 'warning' } }]);
    await slack.waitFor((m) => JSON.stringify(m.body).includes('RoutingControl'), 15_000);
    assert.equal(
      slack.received.some((m) => JSON.stringify(m.body).includes('Watchdog')),
      false,
      'Watchdog must not page anyone',
    );
  });

  test('business-hours alerts are delivered inside the hours (Europe/Berlin) and muted outside', async () => {
    const inside = insideBusinessHours(new Date());
    await am.postAlerts([
      {
        labels: {
          alertname: 'AskProAINoCallsLive',
          severity: 'warning',
          [BUSINESS_HOURS_LABEL.name]: BUSINESS_HOURS_LABEL.value,
        },
      },
    ]);
    await am.postAlerts([{ labels: { alertname: 'BusinessControl', severity: 'warning' } }]);
    await slack.waitFor((m) => JSON.stringify(m.body).includes('BusinessControl'), 15_000);
    if (inside) {
      await slack.waitFor((m) => JSON.stringify(m.body).includes('AskProAINoCallsLive'), 15_000);
    } else {
      // Muting is decided at each flush; give the muted group a few more flushes than the control needed.
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline) {
        assert.equal(
          slack.received.some((m) => JSON.stringify(m.body).includes('AskProAINoCallsLive')),
          false,
          'muted outside business hours',
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const active = (await am.alerts()).find((a) => a.labels.alertname === 'AskProAINoCallsLive');
    assert.ok(active, 'Alertmanager holds the alert either way (muted, not dropped)');
  });
});
