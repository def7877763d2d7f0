/**
 * The webhook secrets. A reachable service (production, or any HOST that is not loopback) refuses to
 * start without RETELL_API_KEY and CALCOM_WEBHOOK_SECRET, with the public demo values, or with weak ones;
 * development on loopback and tests fall back to the documented demo secrets.
 */
import { randomBytes } from 'node:crypto';
import {
  allowsDevelopmentDefaults,
  type Config,
  ConfigError,
  TOKEN_HINT,
  weakSecretReason,
} from '../config.ts';
import { DEMO_SECRETS } from './demo.ts';
import type { WebhookSecrets } from './webhooks/types.ts';

export interface ResolvedSecrets extends WebhookSecrets {
  /** Variables that fell back to the demo secret (for the start-up banner). */
  demo: string[];
}

export function resolveWebhookSecrets(
  config: Pick<Config, 'env' | 'host' | 'retellApiKey' | 'calcomWebhookSecret'>,
): ResolvedSecrets {
  const demo: string[] = [];
  const devDefaults = allowsDevelopmentDefaults(config);
  const where = config.env === 'production' ? 'in production' : `on HOST ${config.host} (not loopback)`;
  const pick = (name: string, value: string | undefined, fallback: string): string => {
    if (!devDefaults) {
      if (!value) throw new ConfigError(`${name}: required ${where} to verify webhook signatures`);
      if (value === fallback)
        throw new ConfigError(`${name}: is the public demo secret; set the real one ${where}`);
      const weak = weakSecretReason(value);
      if (weak) throw new ConfigError(`${name}: ${weak}`);
      return value;
    }
    if (value) return value;
    demo.push(name);
    return fallback;
  };
  return {
    retellApiKey: pick('RETELL_API_KEY', config.retellApiKey, DEMO_SECRETS.retellApiKey),
    calcomWebhookSecret: pick(
      'CALCOM_WEBHOOK_SECRET',
      config.calcomWebhookSecret,
      DEMO_SECRETS.calcomWebhookSecret,
    ),
    demo,
  };
}

/**
 * The secret that signs admin session cookies: SESSION_SECRET, required and strength-checked on a
 * reachable service; generated per run outside production on loopback (sessions end with the run).
 */
export function resolveSessionSecret(config: Pick<Config, 'env' | 'host' | 'sessionSecret'>): string {
  const devDefaults = allowsDevelopmentDefaults(config);
  const value = config.sessionSecret;
  if (value === undefined) {
    if (devDefaults) return randomBytes(32).toString('hex');
    throw new ConfigError(
      `SESSION_SECRET: required in production and on any non-loopback HOST (it signs admin session cookies); ${TOKEN_HINT}`,
    );
  }
  const weak = devDefaults ? null : weakSecretReason(value);
  if (weak) throw new ConfigError(`SESSION_SECRET: ${weak}; ${TOKEN_HINT}`);
  return value;
}
