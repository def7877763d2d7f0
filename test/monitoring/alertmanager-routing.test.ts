/**
 * The generated Alertmanager routing, live: the real Alertmanager 0.25 loads the generated
 * alertmanager.yml (receivers pointed at local sinks) and gets alerts as Prometheus posts them.
 * - Watchdog reaches only the dead man's switch (the heartbeat webhook), never Slack.
 * - "No calls" style alerts (label active="business-hours") are delivered inside the generated business
 *   hours (Europe/Berlin by default) and muted outside them, decided by Alertmanager's `time_intervals`
 *   with a location: the expectation is computed from the same config for the moment of the test.
 *   A second Alertmanager runs the same generator with the hours moved so that the test's moment falls
 *   on the other side (an hour around now in Berlin, or hours away from it): both the delivered and the
 *   muted outcome are seen live on every run. The moved hour is half an hour either side of now, so a
 *   time interval read in UTC instead of Europe/Berlin would get it wrong.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  alertmanagerConfig,
  alertmanagerTemplates,
  TEMPLATE_FILE,
} from '../../src/monitoring/alertmanager.ts';
import { BUSINESS_HOURS_LABEL } from '../../src/monitoring/alerts/funnel.ts';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { paths } from '../../src/monitoring/generate.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { type SlackSink, type SmtpSink, startSlackSink, startSmtpSink } from '../support/sinks.ts';

const ROOT = resolve(import.meta.dirname, '../..');
type Yaml = Record<string, unknown>;

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

type BusinessHours = typeof monitoringConfig.funnel.businessHours;

/** Minutes since local midnight of `at` in `zone`. */
function localMinutes(at: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  return (
    Number(parts.find((p) => p.type === 'hour')!.value) * 60 +
    Number(parts.find((p) => p.type === 'minute')!.value)
  );
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * The business hours moved to the other side of `at`: an hour around it (every day) when `include`,
 * else an hour three hours away from it. Same zone as the generated ones.
 */
function shiftedHours(at: Date, include: boolean): BusinessHours {
  const zone = monitoringConfig.funnel.businessHours.timezone;
  const now = localMinutes(at, zone);
  let from: number;
  let to: number;
  if (include) {
    from = Math.max(0, now - 30);
    to = Math.min(24 * 60, now + 31);
  } else {
    from = now + 180 + 60 <= 24 * 60 ? now + 180 : now - 240;
    to = from + 60;
  }
  return {
    timezone: zone,
    weekdays: ['sunday:saturday'],
    times: [{ start_time: hhmm(from), end_time: hhmm(to) }],
  };
}

/** Whether `at` lies inside the business hours, read in their own time zone. */
function insideBusinessHours(
  at: Date,
  hours: BusinessHours = monitoringConfig.funnel.businessHours,
): boolean {
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
/** The generated routing with the business hours moved to the other side of the test's moment. */
let shifted: Alertmanager;
const startedAt = new Date();
const insideNow = insideBusinessHours(startedAt);
const moved = shiftedHours(startedAt, !insideNow);

type AmYaml = Yaml & {
  global: Yaml;
  route: Yaml & { routes: (Yaml & { group_wait?: string; group_interval?: string })[] };
  templates: string[];
  receivers: { name: string; slack_configs?: Yaml[]; webhook_configs?: Yaml[] }[];
};

/** A real Alertmanager on `amYaml`, its receivers pointed at the local sinks, flushing within a second. */
function startRouted(amYaml: AmYaml): Promise<Alertmanager> {
  return startAlertmanager({
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
}

before(async () => {
  [slack, heartbeat, smtp] = await Promise.all([startSlackSink(), startSlackSink(), startSmtpSink()]);
  const generated = parse(await readFile(join(ROOT, paths.alertmanager), 'utf8')) as AmYaml;
  const config = structuredClone(monitoringConfig);
  config.funnel.businessHours = moved;
  const movedYaml = alertmanagerConfig(createContext(config)) as AmYaml;
  [am, shifted] = await Promise.all([startRouted(generated), startRouted(movedYaml)]);
});

after(async () => {
  await Promise.allSettled([am?.stop(), shifted?.stop(), slack?.stop(), heartbeat?.stop(), smtp?.stop()]);
});

/**
 * Posts a business-hours alert and a control alert to `target`; once the control is delivered, the
 * business-hours alert must have been delivered too (inside) or not at all (outside, muted).
 */
async function expectBusinessHours(
  target: Alertmanager,
  name: string,
  control: string,
  inside: boolean,
): Promise<void> {
  // Slack messages carry the alert name in their text; the names share no prefix.
  const mentions = (body: Yaml, alert: string) => new RegExp(`\\b${alert}\\b`).test(JSON.stringify(body));
  await target.postAlerts([
    {
      labels: {
        alertname: name,
        severity: 'warning',
        [BUSINESS_HOURS_LABEL.name]: BUSINESS_HOURS_LABEL.value,
      },
    },
  ]);
  await target.postAlerts([{ labels: { alertname: control, severity: 'warning' } }]);
  await slack.waitFor((m) => mentions(m.body, control), 15_000);
  const delivered = () => slack.received.some((m) => mentions(m.body, name));
  if (inside) {
    await slack.waitFor((m) => mentions(m.body, name), 15_000);
  } else {
    // Muting is decided at each flush; give the muted group a few more flushes than the control needed.
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      assert.equal(delivered(), false, `${name} is muted outside business hours`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const active = (await target.alerts()).find((a) => a.labels.alertname === name);
  assert.ok(active, 'Alertmanager holds the alert either way (muted, not dropped)');
}

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
    await expectBusinessHours(am, 'AskProAINoCallsLive', 'BusinessControl', insideBusinessHours(new Date()));
  });

  test('with the hours moved to the other side of now, the other outcome', async () => {
    assert.equal(insideBusinessHours(new Date(), moved), !insideNow, JSON.stringify(moved));
    await expectBusinessHours(shifted, 'AskProAINoCallsMoved', 'MovedControl', !insideNow);
  });
});
