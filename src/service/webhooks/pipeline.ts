/**
 * The delivery pipeline every provider shares:
 *
 *   verify signature (401 rejected) -> parse and validate (400 invalid) -> find tenant (404 unknown_tenant)
 *   -> claim the delivery id (seen before: 200 duplicate) -> apply in one transaction -> record metrics.
 *
 * Inline, the claim and the effects commit together, so a failure rolls both back and the provider's
 * retry is processed afresh. With a queue, the claim commits first and the job carries the work; a job
 * that finally fails releases its claim. Metrics are recorded only after a commit, so a delivery is
 * counted once however often it arrives.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { MetricsCollector, WebhookProvider, WebhookStatus } from '../../metrics/index.ts';
import type { ServiceDatabase } from '../db/connect.ts';
import type { ReportError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { calcom } from './calcom.ts';
import { retell } from './retell.ts';
import type { Effects, ProviderSpec, Trx, WebhookSecrets } from './types.ts';

export const PROVIDERS: Record<WebhookProvider, ProviderSpec<unknown>> = {
  retell: retell as ProviderSpec<unknown>,
  calcom: calcom as ProviderSpec<unknown>,
};

/** A validated delivery, as it travels through the queue (plain JSON). */
export interface WebhookJob {
  provider: WebhookProvider;
  event: string;
  deliveryId: string;
  companyId: string;
  receivedAt: number;
  body: unknown;
}

export interface WebhookResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

/** Hands a claimed job to the queue; resolves once it is stored there. */
export type Enqueue = (job: WebhookJob) => Promise<void>;

export interface WebhookPipelineDeps {
  database: ServiceDatabase;
  collector: MetricsCollector;
  reportError: ReportError;
  secrets: WebhookSecrets;
  now?: () => number;
}

const elapsed = (start: number) => (performance.now() - start) / 1000;

export class WebhookPipeline {
  private enqueue: Enqueue | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: WebhookPipelineDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Route work through a queue from now on (undefined: process inline). */
  useQueue(enqueue: Enqueue | undefined): void {
    this.enqueue = enqueue;
  }

  get mode(): 'inline' | 'queue' {
    return this.enqueue ? 'queue' : 'inline';
  }

  /** Handles one HTTP delivery; never throws. */
  async receive(
    provider: WebhookProvider,
    raw: Buffer,
    headers: Record<string, string | string[] | undefined>,
    log: Logger,
  ): Promise<WebhookResponse> {
    const started = performance.now();
    const spec = PROVIDERS[provider];
    const { collector } = this.deps;
    let event = 'unknown';
    const finish = (
      status: WebhookStatus,
      statusCode: number,
      body: Record<string, unknown>,
    ): WebhookResponse => {
      collector.recordWebhook(provider, event, status, elapsed(started));
      return { statusCode, body };
    };

    // The signature is checked over the raw bytes before anything reads them: an unsigned body is
    // never parsed, and the answer says no more than that.
    const check = spec.verify(raw, headers, this.deps.secrets, this.now());
    if (!check.ok) {
      log.warn({ provider, reason: check.reason }, 'webhook signature rejected');
      return finish('rejected', 401, { error: 'invalid signature' });
    }
    let parsed: unknown;
    let jsonOk = true;
    try {
      parsed = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      jsonOk = false;
    }
    event = spec.eventLabel(parsed);
    if (!jsonOk || parsed === undefined) {
      log.warn({ provider, event }, 'webhook body is not JSON');
      return finish('invalid', 400, { error: 'the body must be a JSON object' });
    }
    const result = spec.schema.safeParse(parsed);
    if (!result.success) {
      const issues = result.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      log.warn({ provider, event, issues }, 'webhook body failed validation');
      return finish('invalid', 400, { error: 'invalid webhook body', issues });
    }
    const body = result.data;

    let tenant: Awaited<ReturnType<typeof spec.tenant>>;
    try {
      tenant = await spec.tenant(this.deps.database.db, body);
    } catch (err) {
      return this.failed(provider, event, undefined, err, log, started);
    }
    if (tenant === 'none') {
      // Provider pings carry no tenant: acknowledge, store nothing.
      return finish('processed', 200, { status: 'processed' });
    }
    if (tenant === null) {
      log.warn({ provider, event }, 'webhook for an unknown tenant');
      return finish('unknown_tenant', 404, { error: 'unknown tenant' });
    }
    const companyId = tenant;
    const tenantLog = log.child({ tenant: companyId });
    const job: WebhookJob = {
      provider,
      event,
      deliveryId: createHash('sha256')
        .update(`${provider}:${spec.deliveryKey(body)}`)
        .digest('hex'),
      companyId,
      receivedAt: this.now(),
      body,
    };

    if (this.enqueue) {
      try {
        const claimed = await this.deps.database.db.transaction().execute((trx) => this.claim(trx, job));
        if (!claimed) return finish('duplicate', 200, { status: 'duplicate' });
      } catch (err) {
        return this.failed(provider, event, companyId, err, tenantLog, started);
      }
      try {
        await this.enqueue(job);
        tenantLog.info({ provider, event, deliveryId: job.deliveryId }, 'webhook queued');
        return { statusCode: 202, body: { status: 'queued' } };
      } catch (err) {
        // The queue is down: do the work now rather than lose it.
        this.deps.reportError({
          type: 'queue_unavailable',
          severity: 'warning',
          error: err,
          message: 'webhook queue unavailable; processing inline',
          tenant: companyId,
          log: tenantLog,
        });
        return this.inline(job, tenantLog, started, false);
      }
    }
    return this.inline(job, tenantLog, started, true);
  }

  private async inline(
    job: WebhookJob,
    log: Logger,
    started: number,
    claim: boolean,
  ): Promise<WebhookResponse> {
    try {
      const outcome = await this.process(job, claim);
      this.deps.collector.recordWebhook(job.provider, job.event, outcome, elapsed(started));
      log.info(
        { provider: job.provider, event: job.event, deliveryId: job.deliveryId, outcome },
        'webhook handled',
      );
      return { statusCode: 200, body: { status: outcome } };
    } catch (err) {
      if (!claim) await this.release(job, log);
      return this.failed(job.provider, job.event, job.companyId, err, log, started);
    }
  }

  /**
   * Applies a delivery in one transaction and records its metrics after the commit. With `claim`, the
   * delivery id is claimed in the same transaction ('duplicate' when it was already there); without,
   * the claim was made at receipt and is marked processed. Throws when the work fails.
   */
  async process(job: WebhookJob, claim: boolean): Promise<'processed' | 'duplicate'> {
    const spec = PROVIDERS[job.provider];
    const now = this.now();
    const effects = await this.deps.database.db
      .transaction()
      .execute(async (trx): Promise<Effects | null> => {
        if (claim && !(await this.claim(trx, job))) return null;
        const result = await spec.apply(trx, job.body, job.companyId, now);
        await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'processed', processed_at: now })
          .where('id', '=', job.deliveryId)
          .execute();
        return result;
      });
    if (effects === null) return 'duplicate';
    for (const c of effects.calls) this.deps.collector.recordCall(c.status, c.company);
    for (const b of effects.bookings) this.deps.collector.recordBooking(b.status, b.source);
    return 'processed';
  }

  /** Called by the queue worker for a job that exhausted its attempts. */
  async jobFailed(job: WebhookJob, err: unknown, log: Logger, durationSeconds: number): Promise<void> {
    await this.release(job, log.child({ tenant: job.companyId }));
    this.deps.collector.recordWebhook(job.provider, job.event, 'failed', durationSeconds);
    this.deps.reportError({
      type: 'webhook_failed',
      severity: 'error',
      error: err,
      message: `${job.provider} webhook ${job.event} failed`,
      tenant: job.companyId,
      log: log.child({ tenant: job.companyId }),
      fields: { provider: job.provider, event: job.event, deliveryId: job.deliveryId },
    });
  }

  private failed(
    provider: WebhookProvider,
    event: string,
    tenant: string | undefined,
    err: unknown,
    log: Logger,
    started: number,
  ): WebhookResponse {
    this.deps.collector.recordWebhook(provider, event, 'failed', elapsed(started));
    this.deps.reportError({
      type: 'webhook_failed',
      severity: 'error',
      error: err,
      message: `${provider} webhook ${event} failed`,
      tenant,
      log,
      fields: { provider, event },
    });
    return { statusCode: 500, body: { error: 'webhook processing failed; retry later' } };
  }

  /** Inserts the delivery id; false when it already exists. */
  private async claim(trx: Trx, job: WebhookJob): Promise<boolean> {
    const row = {
      id: job.deliveryId,
      provider: job.provider,
      event: job.event,
      company_id: job.companyId,
      status: 'received',
      received_at: job.receivedAt,
      processed_at: null,
    };
    const insert =
      this.deps.database.dialect === 'mysql'
        ? trx.insertInto('webhook_deliveries').ignore().values(row)
        : trx
            .insertInto('webhook_deliveries')
            .values(row)
            .onConflict((oc) => oc.column('id').doNothing());
    const result = await insert.executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /**
   * Deletes the claim of a delivery whose work failed, so the provider's retry is processed afresh.
   * When that fails the retry will be answered "duplicate" and the event is lost: reported as critical
   * (log line, `askproai_errors_total{type="webhook_claim_release_failed"}`, error tracker), never swallowed.
   */
  private async release(job: WebhookJob, log: Logger): Promise<void> {
    try {
      await this.deps.database.db.deleteFrom('webhook_deliveries').where('id', '=', job.deliveryId).execute();
    } catch (err) {
      this.deps.reportError({
        type: 'webhook_claim_release_failed',
        severity: 'critical',
        error: err,
        message: `${job.provider} webhook ${job.event}: releasing the delivery claim failed; its retry will be answered duplicate`,
        tenant: job.companyId,
        log,
        fields: { provider: job.provider, event: job.event, deliveryId: job.deliveryId },
      });
    }
  }
}
