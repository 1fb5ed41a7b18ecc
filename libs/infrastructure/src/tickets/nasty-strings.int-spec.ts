import {
  buildTicketQuery,
  type ConditionOperator,
  TICKET_QUERY_LIMITS,
  type TicketColumnKey,
  type TicketFieldKey,
  type TicketQuery,
  type TicketQueryRefinement,
  ValidationError,
} from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import {
  aTicket,
  createTestTenant,
  insertTickets,
  type TestTenant,
} from '../../../../test/support/factories';
import nasty from '../seed/nasty-strings.json';
import { TicketQueryBuilder, type TicketQueryContext } from './ticket-query-builder';

/**
 * Every string of the shared fixture survives the round trip into Postgres and back out through the builder's list
 * select, byte for byte, and works as a filter value: matched literally, never as SQL or as a LIKE pattern.
 */
const STRINGS: readonly string[] = nasty.strings;

/** A test title for a string: JSON-escaped (no raw newlines), cut short (one string is 40,000 characters). */
const label = (s: string): string => {
  const json = JSON.stringify(s);
  return json.length > 40 ? `${json.slice(0, 37)}..." (${s.length} chars)` : json;
};
const CASES = STRINGS.map((s, i): [string, number, string] => [label(s), i, s]);

/** What was written, as the model the expectations are computed from. */
interface Written {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly contactName: string | null;
  readonly contactEmail: string | null;
}

interface Row {
  readonly id: string;
  readonly [column: string]: unknown;
}

const COLUMNS: TicketColumnKey[] = ['id', 'title', 'description', 'tags', 'contactName', 'contactEmail'];

const foldCase = (s: string): string => s.toLowerCase();
const containsIgnoringCase = (haystack: string | null, needle: string): boolean =>
  haystack !== null && foldCase(haystack).includes(foldCase(needle));

describe('nasty strings through the ticket query builder', () => {
  let pool: Pool;
  let tenant: TestTenant;
  /** One ticket per string (the string in every text field, as its only tag and as its contact), then one more. */
  let written: Written[];
  let nameOf: Map<string, string>;

  beforeAll(async () => {
    pool = testPool();
    tenant = await createTestTenant(pool);
    written = [
      ...STRINGS.map((s, i) => ({
        name: `#${i}`,
        title: s,
        description: s,
        tags: [s],
        contactName: s,
        contactEmail: s,
      })),
      {
        name: 'all tags',
        title: 'every nasty string as a tag',
        description: '',
        tags: STRINGS,
        contactName: null,
        contactEmail: null,
      },
    ];
    const ids = await insertTickets(
      pool,
      tenant,
      written.map((w) =>
        aTicket({
          title: w.title,
          description: w.description,
          tags: [...w.tags],
          contact: w.contactName === null ? null : { name: w.contactName, email: w.contactEmail },
        }),
      ),
    );
    nameOf = new Map(ids.map((id, i) => [id, written[i].name]));
  });

  afterAll(async () => {
    await pool.end();
  });

  const context = (): TicketQueryContext => ({
    tenantId: tenant.id,
    me: tenant.userId('agent'),
    now: new Date('2026-06-15T12:00:00Z'),
    timezone: 'UTC',
  });

  /** The query as the builder takes it; built directly, so values past the request limits reach the builder too. */
  const query = (
    condition?: { field: TicketFieldKey; operator: ConditionOperator; value: string },
    search: string | null = null,
  ): TicketQuery => ({
    columns: COLUMNS,
    conditions: condition ? [{ and: [condition], or: [] }] : [],
    sort: [{ field: 'id', direction: 'asc' }],
    search,
  });

  async function rows(q: TicketQuery): Promise<Row[]> {
    const builder = new TicketQueryBuilder(q, context());
    const [{ rows: found }, { rows: counted }] = await Promise.all([
      pool.query<Row>(builder.select()),
      pool.query<{ count: string }>(builder.count()),
    ]);
    expect(Number(counted[0].count)).toBe(found.length);
    return found;
  }

  async function names(q: TicketQuery): Promise<string[]> {
    return (await rows(q)).map((row) => nameOf.get(row.id) ?? `foreign ticket ${row.id}`);
  }

  const where = (match: (w: Written) => boolean): string[] => written.filter(match).map((w) => w.name);

  it.each(CASES)('%s reads back byte-equal as title, description, tag and contact', async (_label, i, s) => {
    const all = await rows(query());
    expect(all.map((row) => nameOf.get(row.id))).toEqual(written.map((w) => w.name));
    const row = all[i];
    expect({
      title: row.title,
      description: row.description,
      tags: row.tags,
      contactName: row.contactName,
      contactEmail: row.contactEmail,
    }).toEqual({ title: s, description: s, tags: [s], contactName: s, contactEmail: s });
    expect(Buffer.from(String(row.title), 'utf8').toString('hex')).toBe(
      Buffer.from(s, 'utf8').toString('hex'),
    );
  });

  it('reads back a tag list holding every string, in order', async () => {
    const all = await rows(query());
    expect(all.at(-1)?.tags).toEqual(STRINGS);
  });

  it.each(CASES)('%s as a filter value matches literally', async (_label, i, s) => {
    const found = async (field: TicketFieldKey, operator: ConditionOperator): Promise<string[]> =>
      names(query({ field, operator, value: s }));
    const actual = {
      titleEq: await found('title', 'eq'),
      descriptionEq: await found('description', 'eq'),
      contactNameEq: await found('contactName', 'eq'),
      contactEmailEq: await found('contactEmail', 'eq'),
      tagIs: await found('tags', 'is'),
      titleContains: await found('title', 'contains'),
      contactNameContains: await found('contactName', 'contains'),
      descriptionStartsWith: await found('description', 'starts_with'),
      contactEmailEndsWith: await found('contactEmail', 'ends_with'),
      titleNotContains: await found('title', 'not_contains'),
      search: await names(query(undefined, s)),
    };
    const lower = foldCase(s);
    expect(actual).toEqual({
      titleEq: where((w) => w.title === s),
      descriptionEq: where((w) => w.description === s),
      contactNameEq: where((w) => w.contactName === s),
      contactEmailEq: where((w) => w.contactEmail === s),
      tagIs: where((w) => w.tags.includes(s)),
      titleContains: where((w) => containsIgnoringCase(w.title, s)),
      contactNameContains: where((w) => containsIgnoringCase(w.contactName, s)),
      descriptionStartsWith: where((w) => foldCase(w.description).startsWith(lower)),
      contactEmailEndsWith: where((w) => w.contactEmail !== null && foldCase(w.contactEmail).endsWith(lower)),
      titleNotContains: where((w) => !containsIgnoringCase(w.title, s)),
      search: where((w) =>
        [w.title, w.description, w.contactName, w.contactEmail].some((f) => containsIgnoringCase(f, s)),
      ),
    });
    // Whatever else matches, eq finds the string's own ticket and contains finds it too.
    expect(actual.titleEq).toContain(`#${i}`);
    expect(actual.titleContains).toContain(`#${i}`);
  });

  it('matches SQL-looking values and LIKE wildcards literally', async () => {
    const sql = STRINGS.indexOf("'; DROP TABLE tickets; --");
    const like = STRINGS.indexOf('%_ like wildcards %');
    expect([sql, like].every((i) => i >= 0)).toBe(true);
    expect(
      await names(query({ field: 'title', operator: 'contains', value: "'; DROP TABLE tickets; --" })),
    ).toEqual([`#${sql}`]);
    expect(
      await names(query({ field: 'title', operator: 'contains', value: '%_ like wildcards %' })),
    ).toEqual([`#${like}`]);
    expect(await names(query({ field: 'title', operator: 'contains', value: '%_' }))).toEqual([`#${like}`]);
    const { rows: still } = await pool.query<{ count: string }>(
      'SELECT count(*) AS count FROM tickets WHERE tenant_id = $1',
      [tenant.id],
    );
    expect(Number(still[0].count)).toBe(written.length);
  });

  const contains = (value: string): TicketQueryRefinement => ({
    filters: { and: [{ field: 'title', operator: 'contains', value }], or: [] },
  });
  const short = CASES.filter(([, , s]) => s.length <= TICKET_QUERY_LIMITS.maxValueLength);
  const long = CASES.filter(([, , s]) => s.length > TICKET_QUERY_LIMITS.maxValueLength);

  it.each(short)('%s passes request validation unchanged', (_label, _i, s) => {
    expect(buildTicketQuery(null, contains(s)).conditions).toEqual([
      { and: [{ field: 'title', operator: 'contains', value: s }], or: [] },
    ]);
  });

  it('refuses a filter value over the length limit, naming the field', () => {
    expect(long.length).toBeGreaterThan(0);
    for (const [, , s] of long) {
      let error: unknown;
      try {
        buildTicketQuery(null, contains(s));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((e) => e.field)).toEqual(['filters.and[0].value']);
    }
  });
});
