import { type FieldError, ValidationError } from '../errors/domain-error';

/** The events an endpoint may subscribe to: one per terminal state of an export job. */
export const WEBHOOK_EVENT_TYPES = [
  'export.completed',
  'export.failed',
  'export.cancelled',
  'export.expired',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_LIMITS = { maxUrlLength: 2048, maxDescriptionLength: 200 } as const;

export interface WebhookEndpointInput {
  readonly url: string;
  readonly events: readonly string[];
  readonly description?: string | null;
}

export interface WebhookEndpointSpec {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
}

const isEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);

function urlErrors(raw: string, allowHttp: boolean): FieldError[] {
  const error = (message: string): FieldError[] => [{ field: 'url', message }];
  if (raw.length > WEBHOOK_LIMITS.maxUrlLength)
    return error(`must be at most ${WEBHOOK_LIMITS.maxUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return error('must be an absolute URL');
  }
  const schemes = allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return error(allowHttp ? 'must use https or http' : 'must use https');
  if (url.username !== '' || url.password !== '') return error('must not carry credentials');
  if (url.hash !== '') return error('must not have a fragment');
  return [];
}

/**
 * What a new endpoint means, every bad field named at once: an absolute https URL (http only where the operator
 * allows it), without credentials or fragment; 1 to 4 unique known events; an optional short description. Whether
 * the URL's host is a public address is the destination guard's question (it needs DNS).
 */
export function parseWebhookEndpoint(input: WebhookEndpointInput, allowHttp: boolean): WebhookEndpointSpec {
  const errors = urlErrors(input.url, allowHttp);
  if (input.events.length === 0) errors.push({ field: 'events', message: 'must name at least one event' });
  input.events.forEach((event, i) => {
    if (!isEventType(event))
      errors.push({
        field: `events[${i}]`,
        message: `is not a known event; expected one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      });
    else if (input.events.indexOf(event) !== i)
      errors.push({ field: `events[${i}]`, message: 'is listed twice' });
  });
  const description = input.description?.trim() || null;
  if (description !== null && description.length > WEBHOOK_LIMITS.maxDescriptionLength)
    errors.push({
      field: 'description',
      message: `must be at most ${WEBHOOK_LIMITS.maxDescriptionLength} characters`,
    });
  if (errors.length > 0) throw new ValidationError(errors);
  return { url: input.url, events: input.events.filter(isEventType), description };
}

/** The event an export job's terminal status announces. */
export function webhookEventOf(status: string): WebhookEventType | null {
  const type = `export.${status}`;
  return isEventType(type) ? type : null;
}

/**
 * The thin body of a delivery (Standard Webhooks' `{type, timestamp, data}`): which job, its status, where to read
 * it. No file URL and no exported data: the receiver reads the job with its own credentials.
 */
export function webhookPayload(event: {
  readonly type: WebhookEventType;
  readonly jobId: string;
  readonly status: string;
  readonly occurredAt: Date;
}): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: { id: event.jobId, status: event.status, links: { self: `/export-jobs/${event.jobId}` } },
  });
}
