import { ApiError, type FieldError } from './api.js';
import { describeError } from './messages.js';

const refused = (
  status: number,
  retryAfterSeconds: number | null = null,
  detail = '',
  errors: FieldError[] = [],
) => new ApiError(status, `HTTP_${status}`, detail, retryAfterSeconds, errors);

const PERMISSION =
  'You need the Import / Export Tickets permission to export tickets. Ask an administrator for it.';
const OUTAGE_IN_A_MINUTE =
  'The export service is having trouble with one of its services. Try again in a minute.';

describe('describeError', () => {
  const NOW = new Date('2026-06-01T10:00:00Z');
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  /** The clock time a person reads for "`seconds` from now", as the page formats it in their locale. */
  const clockIn = (seconds: number): string =>
    new Date(NOW.getTime() + seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  it('says the service cannot be reached when no answer came (status 0)', () => {
    expect(describeError(refused(0))).toBe(
      'The export service cannot be reached. Check your connection and try again in a minute.',
    );
  });

  it('lists the fields to correct on a 400, or quotes its detail when no field is named', () => {
    const fields = refused(400, null, 'The request is not valid; see errors for each field.', [
      { field: 'format', message: 'must be one of csv, json' },
      { field: 'columns', message: 'must not be empty' },
    ]);
    expect(describeError(fields)).toBe(
      'Please correct the request. format: must be one of csv, json; columns: must not be empty',
    );
    expect(describeError(refused(400, null, 'The request body is not valid JSON.'))).toBe(
      'Please correct the request. The request body is not valid JSON.',
    );
  });

  it('sends a 401 back to sign-in', () => {
    expect(describeError(refused(401))).toBe(
      'Your session has ended or the token is not valid. Sign in again.',
    );
  });

  it('names the permission on a 403, and who may download on a refused download', () => {
    expect(describeError(refused(403))).toBe(PERMISSION);
    expect(describeError(refused(403), 'other')).toBe(PERMISSION);
    expect(describeError(refused(403), 'download')).toBe(
      'Only an export admin (an administrator with the Import / Export Tickets permission) may download this file.',
    );
  });

  it('words 404, 409 and 410 for a person', () => {
    expect(describeError(refused(404))).toBe('This was not found, or it is not visible to you.');
    expect(describeError(refused(409, null, 'The export already finished.'))).toBe(
      'The export already finished.',
    );
    expect(describeError(refused(409))).toBe(
      'That is no longer possible: the export changed in the meantime.',
    );
    expect(describeError(refused(410))).toBe(
      'The file has expired and was deleted. Start a new export to get the data again.',
    );
  });

  it('says when to try again after a 429: in its seconds, at a clock time past a minute, else in a minute', () => {
    const tooMany = (when: string): string =>
      `Too many of your exports are running. Try again ${when}, or cancel one.`;
    expect(describeError(refused(429, 30))).toBe(tooMany('in 30 seconds'));
    expect(describeError(refused(429, 1))).toBe(tooMany('in 1 second'));
    expect(describeError(refused(429, 0))).toBe(tooMany('in 1 second'));
    expect(describeError(refused(429, 600))).toBe(tooMany(`at ${clockIn(600)}`));
    expect(describeError(refused(429))).toBe(tooMany('in a minute'));
  });

  it('asks for a minute after an outage, even when the API asks programs to come back in 5 s', () => {
    for (const status of [502, 503, 504]) {
      expect(describeError(refused(status))).toBe(OUTAGE_IN_A_MINUTE);
      expect(describeError(refused(status, 5))).toBe(OUTAGE_IN_A_MINUTE);
      expect(describeError(refused(status, 59))).toBe(OUTAGE_IN_A_MINUTE);
    }
    expect(describeError(refused(503, 120))).toBe(
      `The export service is having trouble with one of its services. Try again at ${clockIn(120)}.`,
    );
    expect(clockIn(120)).not.toBe(clockIn(0));
  });

  it('quotes the detail of a 413 or 422, and names any other status without a stack', () => {
    expect(describeError(refused(413, null, 'The file would be larger than 2 GB.'))).toBe(
      'The file would be larger than 2 GB.',
    );
    expect(describeError(refused(422, null, 'The view has no columns left.'))).toBe(
      'The view has no columns left.',
    );
    expect(describeError(refused(500, null, 'Something went wrong on our side.'))).toBe(
      'The export service could not do that (error 500). Try again in a minute.',
    );
    expect(describeError(new TypeError('x is undefined'))).toBe(
      'Something went wrong in this page. Reload it and try again.',
    );
  });
});
