import type { FieldError } from '../errors/domain-error';

/** How a requester may ask to be told that their export ended (`notify` of POST /export-jobs). */
export const NOTIFY_CHANNELS = ['email'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/**
 * `notify`: absent or null for none, else unique known channels; `email` only where the service can send mail
 * (SMTP_URL). Problems are added to `errors`, named by field.
 */
export function parseNotify(value: unknown, emailAvailable: boolean, errors: FieldError[]): NotifyChannel[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push({ field: 'notify', message: 'must be an array of channels' });
    return [];
  }
  const channels: NotifyChannel[] = [];
  value.forEach((channel: unknown, i) => {
    if (channel !== 'email')
      errors.push({
        field: `notify[${i}]`,
        message: `is not a known channel; expected one of ${NOTIFY_CHANNELS.join(', ')}`,
      });
    else if (channels.includes(channel)) errors.push({ field: `notify[${i}]`, message: 'is listed twice' });
    else channels.push(channel);
  });
  if (channels.includes('email') && !emailAvailable)
    errors.push({
      field: 'notify',
      message: 'e-mail notifications are not configured on this service (SMTP_URL)',
    });
  return channels;
}

/**
 * Whether the requester is told that their job ended with `status`: completed and failed always; cancelled only by
 * someone else (`cancelledBy` null: by the system); expiry never (they were told when it completed).
 */
export function notifiesRequester(status: string, requesterId: string, cancelledBy: string | null): boolean {
  if (status === 'completed' || status === 'failed') return true;
  return status === 'cancelled' && cancelledBy !== requesterId;
}
