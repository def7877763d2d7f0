/**
 * Alertmanager routing: critical alerts to Slack and e-mail, warnings to Slack, grouped by alert and
 * service, a critical alert silencing the warning of the same alert, resolved notifications on.
 * Secrets (Slack webhook URL, SMTP password) are read from files, so the committed configuration
 * holds none and `amtool check-config` checks it as it runs.
 */
import { BUSINESS_HOURS_LABEL } from './alerts/funnel.ts';
import type { Context } from './context.ts';

export const TEMPLATES_DIR = '/etc/alertmanager/templates';
export const TEMPLATE_FILE = 'askproai.tmpl';

export const RECEIVERS = { slack: 'slack', email: 'email', heartbeat: 'heartbeat' } as const;

/** The Alertmanager time interval business-hours alerts are delivered in. */
export const BUSINESS_HOURS = 'business-hours';

export function alertmanagerConfig(ctx: Context): Record<string, unknown> {
  const a = ctx.config.alertmanager;
  const f = ctx.config.funnel;
  const m = ctx.config.meta;
  const businessHours = `${BUSINESS_HOURS_LABEL.name}=${JSON.stringify(BUSINESS_HOURS_LABEL.value)}`;
  return {
    global: {
      resolve_timeout: '5m',
      smtp_smarthost: a.smarthost,
      smtp_from: a.emailFrom,
      smtp_auth_username: a.smtpUsername,
      smtp_auth_password_file: a.smtpPasswordFile,
      smtp_require_tls: true,
    },
    templates: [`${TEMPLATES_DIR}/*.tmpl`],
    route: {
      // Alerts without a known severity still reach people.
      receiver: RECEIVERS.slack,
      group_by: [...a.groupBy],
      group_wait: a.groupWait,
      group_interval: a.groupInterval,
      repeat_interval: a.repeatInterval,
      // A matching child route stops the search; `continue` lets a critical alert reach both.
      routes: [
        // The dead man's switch: only the heartbeat, as often as the heartbeat check expects it.
        {
          receiver: RECEIVERS.heartbeat,
          matchers: ['alertname="Watchdog"'],
          group_wait: '0s',
          group_interval: m.heartbeatInterval,
          repeat_interval: m.heartbeatInterval,
        },
        // Silence-during-business-hours alerts: delivered only inside the interval (same receivers).
        {
          receiver: RECEIVERS.slack,
          matchers: [businessHours],
          active_time_intervals: [BUSINESS_HOURS],
          // Alertmanager does not inherit time intervals into child routes: each carries its own.
          routes: [
            {
              receiver: RECEIVERS.slack,
              matchers: ['severity=~"critical|warning"'],
              active_time_intervals: [BUSINESS_HOURS],
              continue: true,
            },
            {
              receiver: RECEIVERS.email,
              matchers: ['severity="critical"'],
              active_time_intervals: [BUSINESS_HOURS],
            },
          ],
        },
        { receiver: RECEIVERS.slack, matchers: ['severity=~"critical|warning"'], continue: true },
        { receiver: RECEIVERS.email, matchers: ['severity="critical"'] },
      ],
    },
    time_intervals: [
      {
        name: BUSINESS_HOURS,
        time_intervals: [
          {
            weekdays: [...f.businessHours.weekdays],
            times: f.businessHours.times.map((t) => ({ ...t })),
            location: f.businessHours.timezone,
          },
        ],
      },
    ],
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        // SLO alerts share a name per SLO; a page inhibits the ticket of the same SLO and provider only.
        equal: ['alertname', 'service', 'slo', 'provider'],
      },
    ],
    receivers: [
      {
        name: RECEIVERS.slack,
        slack_configs: [
          {
            api_url_file: a.slackApiUrlFile,
            channel: a.slackChannel,
            send_resolved: true,
            title: '{{ template "askproai.title" . }}',
            title_link: '{{ template "askproai.link" . }}',
            text: '{{ template "askproai.slack.text" . }}',
            color: '{{ template "askproai.slack.color" . }}',
            fallback: '{{ template "askproai.title" . }}',
          },
        ],
      },
      {
        name: RECEIVERS.heartbeat,
        webhook_configs: [{ url: m.heartbeatUrl, send_resolved: false, max_alerts: 1 }],
      },
      {
        name: RECEIVERS.email,
        email_configs: [
          {
            to: a.emailTo,
            send_resolved: true,
            headers: { Subject: '{{ template "askproai.title" . }}' },
            text: '{{ template "askproai.email.text" . }}',
            html: '{{ template "askproai.email.html" . }}',
          },
        ],
      },
    ],
  };
}

/** The notification templates: one title for Slack and e-mail, a readable body per channel. */
export function alertmanagerTemplates(): string {
  return `{{/* The title of every notification: status, alert, severity and service. */}}
{{ define "askproai.title" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ with .CommonLabels.severity }} ({{ . }}){{ end }}{{ with .CommonLabels.service }} on {{ . }}{{ end }}
{{- end }}

{{/* Where the title links to: the group in Alertmanager. */}}
{{ define "askproai.link" }}{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver | urlquery }}{{ end }}

{{ define "askproai.slack.color" -}}
{{ if eq .Status "resolved" }}good{{ else if eq .CommonLabels.severity "critical" }}danger{{ else }}warning{{ end }}
{{- end }}

{{/* One alert: what, where, since when, and the links from page to cause. */}}
{{ define "askproai.alert" -}}
- {{ .Annotations.summary }}
  {{ .Annotations.description }}
  {{ if .Labels.instance }}Instance: {{ .Labels.instance }} · {{ end }}Since: {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}{{ if eq .Status "resolved" }} · Resolved: {{ .EndsAt.Format "2006-01-02 15:04:05 MST" }}{{ end }}
  Runbook: {{ .Annotations.runbook_url }}
  {{ if .Annotations.dashboard_url }}Dashboard: {{ .Annotations.dashboard_url }}
  {{ end }}Graph: {{ .GeneratorURL }}
{{- end }}

{{/* The filter of a new-silence link in Alertmanager: every label of one alert. */}}
{{ define "askproai.silence.filter" }}%7B{{ range $i, $p := .Labels.SortedPairs }}{{ if $i }}%2C{{ end }}{{ $p.Name }}%3D%22{{ $p.Value | urlquery }}%22{{ end }}%7D{{ end }}

{{ define "askproai.firing.lines" -}}
{{ range .Alerts.Firing -}}
{{ template "askproai.alert" . }}
  Silence: {{ $.ExternalURL }}/#/silences/new?filter={{ template "askproai.silence.filter" . }}
{{ end -}}
{{- end }}

{{ define "askproai.resolved.lines" -}}
{{ range .Alerts.Resolved -}}
{{ template "askproai.alert" . }}
{{ end -}}
{{- end }}

{{ define "askproai.slack.text" -}}
{{ if gt (len .Alerts.Firing) 0 }}*Firing*
{{ template "askproai.firing.lines" . }}{{ end -}}
{{ if gt (len .Alerts.Resolved) 0 }}*Resolved*
{{ template "askproai.resolved.lines" . }}{{ end -}}
{{- end }}

{{ define "askproai.email.text" -}}
{{ template "askproai.title" . }}

{{ if gt (len .Alerts.Firing) 0 }}Firing:
{{ template "askproai.firing.lines" . }}
{{ end -}}
{{ if gt (len .Alerts.Resolved) 0 }}Resolved:
{{ template "askproai.resolved.lines" . }}
{{ end -}}
Alertmanager: {{ template "askproai.link" . }}
{{- end }}

{{ define "askproai.email.html" -}}
<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<h2>{{ template "askproai.title" . }}</h2>
{{ if gt (len .Alerts.Firing) 0 }}<h3>Firing</h3>
<ul>{{ range .Alerts.Firing }}<li><b>{{ .Annotations.summary }}</b><br>{{ .Annotations.description }}<br><a href="{{ .Annotations.runbook_url }}">Runbook</a>{{ if .Annotations.dashboard_url }} · <a href="{{ .Annotations.dashboard_url }}">Dashboard</a>{{ end }} · <a href="{{ .GeneratorURL }}">Graph</a> · <a href="{{ $.ExternalURL }}/#/silences/new?filter={{ template "askproai.silence.filter" . }}">Silence</a></li>{{ end }}</ul>{{ end }}
{{ if gt (len .Alerts.Resolved) 0 }}<h3>Resolved</h3>
<ul>{{ range .Alerts.Resolved }}<li><b>{{ .Annotations.summary }}</b><br>{{ .Annotations.description }}</li>{{ end }}</ul>{{ end }}
<p><a href="{{ template "askproai.link" . }}">Open in Alertmanager</a></p>
</body></html>
{{- end }}
`;
}
