/**
 * The demo tenant seeded on first start and the development-only webhook secrets. docs/service.md names
 * these values so a signed sample webhook works straight after `npm start`.
 */

export const DEMO_COMPANY = {
  id: 'cmp_demo',
  name: 'Demo Dental Practice',
  /** A number from the range reserved for drama and documentation, never a real subscriber. */
  phoneNumber: '+4930901820',
  retellAgentId: 'agent_demo_0001',
  calcomEventTypeId: 1001,
  calcomEventTypeSlug: 'consultation-30',
} as const;

/**
 * Secrets used when RETELL_API_KEY / CALCOM_WEBHOOK_SECRET are unset outside production. They are
 * public by design (documented), so production refuses them.
 */
export const DEMO_SECRETS = {
  retellApiKey: 'demo-retell-api-key',
  calcomWebhookSecret: 'demo-calcom-webhook-secret',
} as const;

/**
 * Credentials for the demo tenant, created on start only outside production on loopback (and removed
 * when a production start finds them): log in to /admin as `demo`, call the APIs with the key.
 */
export const DEMO_CREDENTIALS = {
  adminUser: 'demo',
  adminPassword: 'demo-admin-password',
  apiKeyId: '00000000000de000',
  apiKey: 'askp_00000000000de000_development-only-demo-key-for-cmp-demo-0000',
} as const;
