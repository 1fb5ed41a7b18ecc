import { buildTicketQuery, type TicketFieldKey, type TicketSort } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket, type TicketSpec } from '../../../../test/support/factories';
import { at, Fixture, request } from './testing/ticket-query-fixture';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  describe('search', () => {
    const tickets = {
      s1: aTicket({
        title: 'Cannot log in',
        description: 'Password rejected',
        contact: { name: 'Zoe Quux', email: 'zoe@corp.example' },
      }),
      s2: aTicket({ title: 'Billing question', description: 'Where is my INVOICE?', contact: null }),
      s3: aTicket({
        title: 'Hello',
        description: 'world',
        contact: { name: 'Ian Invoice', email: 'ian@example.com' },
      }),
      s4: aTicket({ title: 'Big % discount', description: 'promo', contact: null }),
      s5: aTicket({ title: 'under_score', description: 'x', contact: null }),
      s6: aTicket({ title: 'underXscore', description: 'x', contact: null }),
      s7: aTicket({ title: 'Refers to another ticket', description: 'see below', contact: null }),
      s8: aTicket({ title: 'back\\slash', description: 'x', contact: null }),
      s9: aTicket({ title: "'; DROP TABLE tickets; --", description: 'x', contact: null }),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
      await pool.query('UPDATE tickets SET description = $1 WHERE id = $2', [`see ${fx.ids.s3}`, fx.ids.s7]);
    });

    const search = (term: string): Promise<string[]> => fx.list(request({ search: term }));

    it.each<[string, Name[]]>([
      ['invoice', ['s2', 's3']],
      ['ZOE@CORP', ['s1']],
      ['quux', ['s1']],
      ['cannot LOG', ['s1']],
      ['password', ['s1']],
      ['g % D', ['s4']],
      ['%', ['s4']],
      ['_', ['s5']],
      ['under_score', ['s5']],
      ['\\', ['s8']],
      ["'; DROP TABLE tickets; --", ['s9']],
      ['no such words', []],
    ])(
      '"%s" matches title, description, contact name or e-mail, ignoring case, literally',
      async (term, expected) => {
        expect(await search(term)).toEqual(expected);
      },
    );

    it('"#123" matches ticket 123 only; "123" also matches text containing it', async () => {
      expect(await search(`#${fx.ids.s3}`)).toEqual(['s3']);
      expect(await search(fx.ids.s3)).toEqual(['s3', 's7']);
    });
  });

  describe('sort order', () => {
    const sorted = (
      status: string,
      priority: string | null,
      assignee: string | null,
      title: string,
      creationTime: string,
      slaDueAt: string | null,
    ): TicketSpec =>
      aTicket({
        status,
        priority,
        assignee,
        title,
        creationTime: at(creationTime),
        slaDueAt: slaDueAt === null ? null : at(slaDueAt),
      });
    const tickets = {
      r1: sorted('solved', 'high', 'grace.hopper', 'b', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
      r2: sorted('new', null, null, 'a', '2026-01-02T00:00:00Z', null),
      r3: sorted('on_hold', 'low', 'linus.torvalds', 'c', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z'),
      r4: sorted('closed', 'urgent', null, 'a', '2026-01-03T00:00:00Z', null),
      r5: sorted('open', 'high', 'grace.hopper', 'a', '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z'),
      r6: sorted('pending', 'normal', 'linus.torvalds', 'b', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z'),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    const asc = (field: TicketFieldKey): TicketSort => ({ field, direction: 'asc' });
    const desc = (field: TicketFieldKey): TicketSort => ({ field, direction: 'desc' });

    it.each<[string, TicketSort[], Name[]]>([
      [
        'priority asc: by sort order, NULL last, ties by id',
        [asc('priority')],
        ['r3', 'r6', 'r1', 'r5', 'r4', 'r2'],
      ],
      [
        'priority desc: NULL still last, ties by id descending',
        [desc('priority')],
        ['r4', 'r5', 'r1', 'r6', 'r3', 'r2'],
      ],
      [
        'status asc: by sort order, not by key or label',
        [asc('status')],
        ['r2', 'r5', 'r6', 'r3', 'r1', 'r4'],
      ],
      ['status desc', [desc('status')], ['r4', 'r1', 'r3', 'r6', 'r5', 'r2']],
      ['assigneeName asc: NULL last', [asc('assigneeName')], ['r1', 'r5', 'r3', 'r6', 'r2', 'r4']],
      ['assigneeName desc: NULL last', [desc('assigneeName')], ['r6', 'r3', 'r5', 'r1', 'r4', 'r2']],
      ['slaDueAt desc, title asc', [desc('slaDueAt'), asc('title')], ['r5', 'r1', 'r6', 'r3', 'r2', 'r4']],
      [
        'creationTime asc, priority desc',
        [asc('creationTime'), desc('priority')],
        ['r1', 'r6', 'r3', 'r5', 'r2', 'r4'],
      ],
      [
        'title asc, creationTime desc, priority asc',
        [asc('title'), desc('creationTime'), asc('priority')],
        ['r4', 'r5', 'r2', 'r6', 'r1', 'r3'],
      ],
      ['id desc', [desc('id')], ['r6', 'r5', 'r4', 'r3', 'r2', 'r1']],
      ['title asc, id desc', [asc('title'), desc('id')], ['r5', 'r4', 'r2', 'r6', 'r1', 'r3']],
    ])('%s', async (_name, sort, expected) => {
      expect(await fx.list(request({ sort }))).toEqual(expected);
    });

    it('without a view or sort: newest first, ties by id descending', async () => {
      expect(await fx.list(buildTicketQuery(null, { columns: ['id'] }))).toEqual([
        'r4',
        'r5',
        'r2',
        'r6',
        'r3',
        'r1',
      ]);
    });
  });
});
