import type { FieldError } from '../errors/domain-error';
import { notifiesRequester, parseNotify } from './export-notify';

function parse(value: unknown, emailAvailable = true): { channels: string[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  return { channels: parseNotify(value, emailAvailable, errors), errors };
}

describe('parseNotify', () => {
  it('takes nothing, or email where mail is configured', () => {
    expect(parse(undefined)).toEqual({ channels: [], errors: [] });
    expect(parse(null)).toEqual({ channels: [], errors: [] });
    expect(parse([])).toEqual({ channels: [], errors: [] });
    expect(parse(['email'])).toEqual({ channels: ['email'], errors: [] });
  });

  it('names each bad entry, and the field when mail is not configured', () => {
    expect(parse(['sms', 'email', 'email', 3]).errors).toEqual([
      { field: 'notify[0]', message: 'is not a known channel; expected one of email' },
      { field: 'notify[2]', message: 'is listed twice' },
      { field: 'notify[3]', message: 'is not a known channel; expected one of email' },
    ]);
    expect(parse('email').errors).toEqual([{ field: 'notify', message: 'must be an array of channels' }]);
    expect(parse(['email'], false).errors).toEqual([
      { field: 'notify', message: 'e-mail notifications are not configured on this service (SMTP_URL)' },
    ]);
  });
});

describe('notifiesRequester', () => {
  it('on completion and failure, on a cancel by someone else, never on expiry', () => {
    expect(notifiesRequester('completed', 'u1', null)).toBe(true);
    expect(notifiesRequester('failed', 'u1', null)).toBe(true);
    expect(notifiesRequester('cancelled', 'u1', 'u1')).toBe(false);
    expect(notifiesRequester('cancelled', 'u1', 'admin')).toBe(true);
    expect(notifiesRequester('cancelled', 'u1', null)).toBe(true);
    expect(notifiesRequester('expired', 'u1', null)).toBe(false);
  });
});
