import { type TicketCondition } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { aTicket, type TicketSpec } from '../../../../test/support/factories';
import { Fixture } from './testing/ticket-query-fixture';

describe('TicketQueryBuilder against PostgreSQL', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });

  afterAll(async () => {
    await pool.end();
  });

  describe('text operators', () => {
    const ticket = (
      title: string,
      description: string,
      language: string | null,
      slaStatus: string | null,
      contact: TicketSpec['contact'],
    ): TicketSpec => aTicket({ title, description, language, slaStatus, contact });
    const tickets = {
      x1: ticket('Printer on fire', 'The office PRINTER is smoking', 'en', 'breached', {
        name: 'Alice Example',
        email: 'alice@example.com',
      }),
      x2: ticket('printer jam', 'Paper stuck', 'EN', 'ok', { name: 'Bob Buyer', email: null }),
      x3: ticket('Fire alarm', '', null, null, null),
      x4: ticket('Refund 100% now', 'Wants 100 percent back', '', '', { name: '', email: '' }),
      x5: ticket('a_b literal', 'underscore', 'de', 'breached', {
        name: 'Carol 50% off',
        email: 'carol@EXAMPLE.org',
      }),
      x6: ticket('aXb wildcard bait', 'percent 100 sign', 'fr', 'ok', {
        name: 'Dave',
        email: 'dave@example.com',
      }),
      x7: ticket('@me', 'literally at-me', 'en', null, null),
      x8: ticket("'; DROP TABLE tickets; --", 'sql', null, null, null),
      x9: ticket('%_ like wildcards %', 'like', null, null, null),
      x10: ticket('C:\\temp\\new', 'path', null, null, null),
    };
    type Name = keyof typeof tickets;
    let fx: Fixture<Name>;

    beforeAll(async () => {
      fx = await Fixture.create(pool, tickets);
    });

    it.each<[string, TicketCondition, Name[]]>([
      ['eq matches the exact value', { field: 'title', operator: 'eq', value: 'printer jam' }, ['x2']],
      ['eq is case-sensitive', { field: 'title', operator: 'eq', value: 'Printer Jam' }, []],
      ['eq on a joined field', { field: 'contactName', operator: 'eq', value: 'Bob Buyer' }, ['x2']],
      [
        'neq keeps NULL and empty values',
        { field: 'language', operator: 'neq', value: 'en' },
        ['x2', 'x3', 'x4', 'x5', 'x6', 'x8', 'x9', 'x10'],
      ],
      ['contains ignores case', { field: 'title', operator: 'contains', value: 'PRINTER' }, ['x1', 'x2']],
      [
        'not_contains ignores case',
        { field: 'title', operator: 'not_contains', value: 'printer' },
        ['x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10'],
      ],
      [
        'not_contains counts NULL as not containing',
        { field: 'language', operator: 'not_contains', value: 'E' },
        ['x3', 'x4', 'x6', 'x8', 'x9', 'x10'],
      ],
      [
        'not_contains on the description',
        { field: 'description', operator: 'not_contains', value: 'PERCENT' },
        ['x1', 'x2', 'x3', 'x5', 'x7', 'x8', 'x9', 'x10'],
      ],
      ['starts_with ignores case', { field: 'title', operator: 'starts_with', value: 'fire' }, ['x3']],
      ['ends_with ignores case', { field: 'title', operator: 'ends_with', value: 'FIRE' }, ['x1']],
      [
        'starts_with on a nullable field',
        { field: 'slaStatus', operator: 'starts_with', value: 'BR' },
        ['x1', 'x5'],
      ],
      [
        'ends_with on a joined field',
        { field: 'contactEmail', operator: 'ends_with', value: 'example.org' },
        ['x5'],
      ],
      [
        'is_empty holds for NULL and for an empty string',
        { field: 'language', operator: 'is_empty' },
        ['x3', 'x4', 'x8', 'x9', 'x10'],
      ],
      [
        'is_not_empty excludes NULL and the empty string',
        { field: 'language', operator: 'is_not_empty' },
        ['x1', 'x2', 'x5', 'x6', 'x7'],
      ],
      [
        'is_empty on a contact e-mail: no contact, NULL or empty',
        { field: 'contactEmail', operator: 'is_empty' },
        ['x2', 'x3', 'x4', 'x7', 'x8', 'x9', 'x10'],
      ],
      [
        'is_not_empty on a nullable field',
        { field: 'slaStatus', operator: 'is_not_empty' },
        ['x1', 'x2', 'x5', 'x6'],
      ],
      [
        'contains "%" matches a literal percent sign',
        { field: 'title', operator: 'contains', value: '%' },
        ['x4', 'x9'],
      ],
      [
        'contains "_" matches a literal underscore',
        { field: 'title', operator: 'contains', value: '_' },
        ['x5', 'x9'],
      ],
      [
        'contains "a_b" does not treat "_" as any character',
        { field: 'title', operator: 'contains', value: 'a_b' },
        ['x5'],
      ],
      ['contains "%_" is literal', { field: 'title', operator: 'contains', value: '%_' }, ['x9']],
      ['starts_with "%" is literal', { field: 'title', operator: 'starts_with', value: '%' }, ['x9']],
      ['ends_with "%" is literal', { field: 'title', operator: 'ends_with', value: '%' }, ['x9']],
      ['contains a backslash is literal', { field: 'title', operator: 'contains', value: '\\t' }, ['x10']],
      ['a lone backslash is literal', { field: 'title', operator: 'ends_with', value: '\\new' }, ['x10']],
      [
        'contains "50%" on a joined field',
        { field: 'contactName', operator: 'contains', value: '50%' },
        ['x5'],
      ],
      ['"@me" is only special for the assignee', { field: 'title', operator: 'eq', value: '@me' }, ['x7']],
      [
        'an SQL-looking value is matched literally',
        { field: 'title', operator: 'eq', value: "'; DROP TABLE tickets; --" },
        ['x8'],
      ],
      [
        'contains an SQL-looking value',
        { field: 'title', operator: 'contains', value: "'; drop table" },
        ['x8'],
      ],
      [
        'eq with LIKE wildcards is literal',
        { field: 'title', operator: 'eq', value: '%_ like wildcards %' },
        ['x9'],
      ],
    ])('%s', async (_name, condition, expected) => {
      expect(await fx.find({ and: [condition] })).toEqual(expected);
    });

    it('leaves the tickets table intact after SQL-looking values', async () => {
      await fx.find({ and: [{ field: 'title', operator: 'contains', value: "'; DROP TABLE tickets; --" }] });
      const { rows } = await pool.query<{ count: string }>(
        'SELECT count(*) AS count FROM tickets WHERE tenant_id = $1',
        [fx.tenant.id],
      );
      expect(Number(rows[0].count)).toBe(Object.keys(tickets).length);
    });
  });
});
