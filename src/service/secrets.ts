/**
 * The webhook secrets. Production refuses to start without RETELL_API_KEY and CALCOM_WEBHOOK_SECRET (or
 * with the public demo values); development and tests fall back to the documented demo secrets.
 */
import { type Config, ConfigError } from '../config.ts';
import { DEMO_SECRETS } from './demo.ts';
import type { WebhookSecrets } from './webhooks/types.ts';

export interface ResolvedSecrets extends WebhookSecrets {
  /** Variables that fell back to the demo secret (for the start-up banner). */
  demo: string[];
}

export function resolveWebhookSecrets(
  config: Pick<Config, 'env' | 'retellApiKey' | 'calcomWebhookSecret'>,
): ResolvedSecrets {
  const demo: string[] = [];
  const pick = (name: string, value: string | undefined, fallback: string): string => {
    if (config.env === 'production') {
      if (!value) throw new ConfigError(`${name}: required in production to verify webhook signatures`);
      if (value === fallback)
        throw new ConfigError(`${name}: is the public demo secret; set the real one in production`);
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
