import { randomBytes } from 'node:crypto';

/** How long the secret before a rotation keeps signing, so receivers can switch without losing a delivery. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 3600 * 1000;

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
