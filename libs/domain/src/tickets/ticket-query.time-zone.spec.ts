import { fieldsNamedBy } from './testing/ticket-query.fixtures';
import { parseTimeZone } from './ticket-query';

describe('ticket query', () => {
  describe('parseTimeZone', () => {
    it.each(['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Etc/GMT+1'])('accepts %s', (zone) => {
      expect(parseTimeZone(zone)).toBe(zone);
    });

    it('defaults to UTC', () => {
      expect(parseTimeZone(undefined)).toBe('UTC');
      expect(parseTimeZone(null)).toBe('UTC');
    });

    it.each<[unknown]>([
      ['Mars/Olympus'],
      ['UTC; DROP'],
      ["Europe/Paris'--"],
      ['../../etc/passwd'],
      [''],
      ['+01:00'],
      ['Europe/Paris'.repeat(6)],
      [42],
      [{ zone: 'UTC' }],
    ])('rejects %j, naming the field', (zone) => {
      expect(fieldsNamedBy(() => parseTimeZone(zone))).toEqual(['timezone']);
      expect(fieldsNamedBy(() => parseTimeZone(zone, 'body.timezone'))).toEqual(['body.timezone']);
    });
  });
});
