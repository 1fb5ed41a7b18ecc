import { ApiError } from './api.js';

const PERMISSION =
  'You need the Import / Export Tickets permission to export tickets. Ask an administrator for it.';

function inTime(seconds: number | null): string {
  if (seconds === null) return 'in a minute';
  if (seconds < 60) {
    const whole = Math.max(1, Math.round(seconds));
    return whole === 1 ? 'in 1 second' : `in ${whole} seconds`;
  }
  const at = new Date(Date.now() + seconds * 1000);
  return `at ${at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

/** What a person reads when a request failed: never a status code alone, never a stack. */
export function describeError(error: unknown, action: 'download' | 'other' = 'other'): string {
  if (!(error instanceof ApiError)) return 'Something went wrong in this page. Reload it and try again.';
  switch (error.status) {
    case 0:
      return 'The export service cannot be reached. Check your connection and try again in a minute.';
    case 400: {
      const fields = error.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      return fields ? `Please correct the request. ${fields}` : `Please correct the request. ${error.detail}`;
    }
    case 401:
      return 'Your session has ended or the token is not valid. Sign in again.';
    case 403:
      return action === 'download'
        ? 'Only an export admin (an administrator with the Import / Export Tickets permission) may download this file.'
        : PERMISSION;
    case 404:
      return 'This was not found, or it is not visible to you.';
    case 409:
      return error.detail || 'That is no longer possible: the export changed in the meantime.';
    case 410:
      return 'The file has expired and was deleted. Start a new export to get the data again.';
    case 413:
    case 422:
      return error.detail;
    case 429:
      return `Too many of your exports are running. Try again ${inTime(error.retryAfterSeconds)}, or cancel one.`;
    case 502:
    case 503:
    case 504: {
      // The API asks for a retry within seconds of an outage (Retry-After: 5); a person is better served by a minute.
      const seconds = error.retryAfterSeconds;
      return `The export service is having trouble with one of its services. Try again ${inTime(seconds !== null && seconds >= 60 ? seconds : null)}.`;
    }
    default:
      return `The export service could not do that (error ${error.status}). Try again in a minute.`;
  }
}
