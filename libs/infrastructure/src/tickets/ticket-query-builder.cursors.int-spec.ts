import { type TicketQuery, type TicketSort, ValidationError } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket } from '../../../../test/support/factories';
import { at, failure, Fixture, request, type Row } from './testing/ticket-query-fixture';
import { TicketQueryBuilder } from './ticket-query-builder';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  describe('cursors', () => {
    const tickets = {
      k1: aTicket({ title: 'a', priority: 'high', resolvedAt: at('2026-01-01T10:00:00.123Z') }),
      k2: aTicket({ title: 'a', priority: null, resolvedAt: null }),
      k3: aTicket({ title: 'b', priority: 'low', resolvedAt: at('2026-01-02T10:00:00Z') }),
      k4: aTicket({ title: 'c', priority: 'urgent', resolvedAt: null }),
    };
    let fx: Fixture<keyof typeof tickets>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const sort: TicketSort[] = [
      { field: 'title', direction: 'asc' },
      { field: 'priority', direction: 'desc' },
      { field: 'resolvedAt', direction: 'asc' },
    ];
    const query = (): TicketQuery => request({ sort });
    const builder = (): TicketQueryBuilder => new TicketQueryBuilder(query(), fx.context());

    /** The real cursor after the first row of the list. */
    async function firstCursor(): Promise<string> {
      const b = builder();
      const { rows } = await pool.query<Row>(b.select({ limit: 1 }));
      return b.cursorAfter(rows[0]);
    }

    /** Re-encodes a real cursor with its keys changed: what a client tampering with it would send. */
    function tamper(cursor: string, change: (keys: unknown[]) => unknown[]): string {
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: unknown[] };
      return Buffer.from(JSON.stringify({ ...decoded, k: change([...decoded.k]) }), 'utf8').toString(
        'base64url',
      );
    }

    const replace =
      (index: number, value: unknown) =>
      (keys: unknown[]): unknown[] =>
        keys.map((k, i) => (i === index ? value : k));

    async function expectRejected(cursor: string): Promise<void> {
      const error = await failure(() => pool.query(builder().select({ after: cursor, limit: 10 })));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([
        { field: 'cursor', message: expect.any(String) as string },
      ]);
    }

    it('a genuine cursor continues after its row', async () => {
      const { rows } = await pool.query<Row>(builder().select({ after: await firstCursor() }));
      expect(rows.map((row) => row.id)).toEqual([fx.ids.k2, fx.ids.k3, fx.ids.k4]);
    });

    it.each([
      ['not base64 JSON', '!!!'],
      ['JSON that is not an object', Buffer.from('"cursor"').toString('base64url')],
      ['null', Buffer.from('null').toString('base64url')],
      ['an array', Buffer.from('[]').toString('base64url')],
    ])('rejects a cursor that is %s', async (_name, cursor) => {
      await expectRejected(cursor);
    });

    it.each<[string, TicketSort[]]>([
      ['another field', [{ field: 'creationTime', direction: 'desc' }]],
      [
        'the same fields in another direction',
        [
          { field: 'title', direction: 'desc' },
          { field: 'priority', direction: 'desc' },
          { field: 'resolvedAt', direction: 'asc' },
        ],
      ],
      [
        'other fields of the same types',
        [
          { field: 'language', direction: 'asc' },
          { field: 'priority', direction: 'desc' },
          { field: 'closedAt', direction: 'asc' },
        ],
      ],
    ])('rejects a cursor made for a sort by %s', async (_name, otherSort) => {
      const other = new TicketQueryBuilder(request({ sort: otherSort }), fx.context());
      const { rows } = await pool.query<Row>(other.select({ limit: 1 }));
      await expectRejected(other.cursorAfter(rows[0]));
    });

    // Keys of this sort: title, priority IS NULL, priority order, resolvedAt IS NULL, resolvedAt, id.
    it.each<[string, (keys: unknown[]) => unknown[]]>([
      ['a key too few', (keys) => keys.slice(1)],
      ['a key too many', (keys) => [...keys, '1']],
      ['a number instead of a string', replace(5, 1)],
      ['a NUL character in a text key', replace(0, 'a\u0000b')],
      ['a boolean key that is not a boolean', replace(1, 'maybe')],
      ['an integer key that is not an integer', replace(2, '12.5')],
      ['an integer key out of range', replace(2, '9999999999')],
      ['an integer key below range', replace(2, '-2147483649')],
      ['a timestamp with impossible fields', replace(4, '2026-13-45 99:99:99+00')],
      ['a timestamp on a day that does not exist', replace(4, '2026-02-30 10:00:00+00')],
      ['a timestamp in year 0', replace(4, '0000-01-01 00:00:00+00')],
      ['a timestamp with an impossible offset', replace(4, '2026-01-01 00:00:00+16')],
      ['a timestamp that is not one', replace(4, 'now')],
      ['a bigint key out of range', replace(5, '9223372036854775808')],
      ['a bigint key that is SQL', replace(5, '1; DROP TABLE tickets')],
    ])('rejects a tampered cursor: %s', async (_name, change) => {
      await expectRejected(tamper(await firstCursor(), change));
    });

    it('accepts a well-formed cursor that points anywhere, and pages from there', async () => {
      const cursor = tamper(await firstCursor(), () => [
        'b',
        'false',
        '10',
        'false',
        '2026-01-02 10:00:00+00',
        '0',
      ]);
      const { rows } = await pool.query<Row>(builder().select({ after: cursor }));
      expect(rows.map((row) => row.id)).toEqual([fx.ids.k3, fx.ids.k4]);
      const extremes = tamper(await firstCursor(), () => [
        '',
        'true',
        '-2147483648',
        'true',
        '-infinity',
        '9223372036854775807',
      ]);
      const { rows: all } = await pool.query<Row>(builder().select({ after: extremes }));
      expect(all.map((row) => row.id)).toEqual([fx.ids.k1, fx.ids.k2, fx.ids.k3, fx.ids.k4]);
    });
  });
});
