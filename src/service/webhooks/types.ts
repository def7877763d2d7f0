/** What a webhook provider module supplies to the shared delivery pipeline. */
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import type { BookingSource, BookingStatus, CallStatus, WebhookProvider } from '../../metrics/index.ts';
import type { ServiceDb } from '../db/connect.ts';
import type { ServiceTables } from '../db/schema.ts';
import type { SignatureCheck } from './signature.ts';

export type Trx = Transaction<ServiceTables>;

/** Metrics a processed delivery moves, recorded only after its transaction committed. */
export interface Effects {
  calls: { status: CallStatus; company: string }[];
  bookings: { status: BookingStatus; source: BookingSource }[];
}

export const noEffects = (): Effects => ({ calls: [], bookings: [] });

export interface WebhookSecrets {
  retellApiKey: string;
  calcomWebhookSecret: string;
}

/** The tenant of a delivery: a company id, `null` when unknown, or `'none'` for events without a tenant. */
export type TenantLookup = string | null | 'none';

export interface ProviderSpec<B> {
  provider: WebhookProvider;
  verify(
    raw: Buffer,
    headers: Record<string, string | string[] | undefined>,
    secrets: WebhookSecrets,
    nowMs: number,
  ): SignatureCheck;
  schema: z.ZodType<B>;
  /** A bounded `event` label from a body that may not have passed validation. */
  eventLabel(body: unknown): string;
  tenant(db: ServiceDb, body: B): Promise<TenantLookup>;
  /** What makes two deliveries the same one (hashed into the delivery id). */
  deliveryKey(body: B): string;
  /** Applies the delivery inside the transaction; returns the metrics to record after commit. */
  apply(trx: Trx, body: B, companyId: string, nowMs: number): Promise<Effects>;
}
