import { randomUUID } from 'node:crypto';
import { buildTicketQuery } from '@app/domain';
import { TicketQueryBuilder } from '@app/infrastructure';
import type { Pool } from 'pg';
import request from 'supertest';
import { bearer, startApi, type StartedApi, tokenFor } from '../support/api';
import { testPool } from '../support/database';
import { aTicket, createTestTenant, insertTickets, type TestTenant } from '../support/factories';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
type Ticket = Record<string, unknown> & { id: number };

describe('ticket views over HTTP', () => {
  let api: StartedApi;
  let pool: Pool;
  let acme: TestTenant;
  let other: TestTenant;
  let ids: string[];

  beforeAll(async () => {
    pool = testPool();
    [acme, other] = await Promise.all([createTestTenant(pool), createTestTenant(pool)]);
    const at = (day: number) => new Date(Date.UTC(2026, 4, day, 12));
    ids = await insertTickets(pool, acme, [
      aTicket({
        title: 'Mine, open, urgent',
        assignee: 'agent',
        priority: 'urgent',
        tags: ['vip', 'refund'],
        creationTime: at(1),
        slaDueAt: at(9),
      }),
      aTicket({
        title: 'Mine, closed',
        assignee: 'agent',
        status: 'closed',
        creationTime: at(2),
        closedAt: at(3),
      }),
      aTicket({ title: "Admin's, open", assignee: 'admin', priority: 'high', creationTime: at(3) }),
      aTicket({
        title: 'Nobody, open',
        assignee: null,
        priority: 'low',
        creationTime: at(4),
        contact: { name: 'Ann', email: 'ann@x.test' },
      }),
      aTicket({ title: 'Deleted', assignee: 'agent', creationTime: at(5), deletedAt: at(6) }),
      ...Array.from({ length: 7 }, (_, i) =>
        aTicket({ title: `Same time ${i}`, priority: i % 2 ? 'high' : null, creationTime: at(7) }),
      ),
    ]);
    await insertTickets(pool, other, [aTicket({ title: 'Other tenant' })]);
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
    await pool.end();
  });

  const as = (tenant: TestTenant, user: string) => bearer(tokenFor(api.config, tenant, user));

  async function allPages<T>(path: string, headers: Record<string, string>, limit: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 100; guard += 1) {
      const response: request.Response = await request(api.baseUrl)
        .get(path)
        .query(cursor ? { limit, cursor } : { limit })
        .set(headers);
      expect(response.status).toBe(200);
      const page = response.body as Page<T>;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      if (cursor === null) return items;
    }
    throw new Error('too many pages');
  }

  describe('GET /ticket-views', () => {
    it("lists the tenant's system views and the caller's own, never other users' or tenants'", async () => {
      const admins = await allPages<{ id: string; name: string; isSystem: boolean }>(
        '/ticket-views',
        as(acme, 'admin'),
        2,
      );
      expect(admins.map((v) => v.name)).toEqual([
        'All tickets',
        'My open tickets',
        'Open tickets',
        'Unassigned',
        'Urgent and high priority',
        'Billing and refunds',
      ]);
      expect(admins.every((v) => Object.values(acme.viewIds).includes(v.id))).toBe(true);
      expect(admins.at(-1)).toMatchObject({ isSystem: false });
      const agents = await allPages<{ name: string }>('/ticket-views', as(acme, 'agent'), 50);
      expect(agents.map((v) => v.name)).not.toContain('Billing and refunds');
      expect(agents).toHaveLength(5);
    });

    it('gives each view its columns, conditions and sort', async () => {
      const response = await request(api.baseUrl).get('/ticket-views').set(as(acme, 'admin'));
      const open = (response.body as Page<Record<string, unknown>>).items.find(
        (v) => v.name === 'Open tickets',
      );
      expect(open).toMatchObject({
        id: acme.viewIds['Open tickets'],
        isSystem: true,
        conditions: { and: [{ field: 'statusType', operator: 'is', value: 'open' }], or: [] },
        sort: [
          { field: 'priority', direction: 'desc' },
          { field: 'creationTime', direction: 'asc' },
        ],
      });
    });
  });

  describe('GET /ticket-views/:id/tickets', () => {
    it('is the list of the view: its columns (id always first), typed values, its order, no deleted tickets', async () => {
      const view = acme.viewIds['Open tickets'];
      const response = await request(api.baseUrl).get(`/ticket-views/${view}/tickets`).set(as(acme, 'agent'));
      expect(response.status).toBe(200);
      const { items, nextCursor } = response.body as Page<Ticket>;
      expect(nextCursor).toBeNull();
      expect(Object.keys(items[0])).toEqual([
        'id',
        'title',
        'status',
        'priority',
        'category',
        'contactName',
        'assigneeName',
        'teamName',
        'creationTime',
        'tags',
        'slaDueAt',
      ]);
      const urgent = items.find((t) => t.title === 'Mine, open, urgent');
      expect(urgent).toEqual({
        id: Number(ids[0]),
        title: 'Mine, open, urgent',
        status: 'Open',
        priority: 'Urgent',
        category: 'Technical',
        contactName: null,
        assigneeName: 'Alan Agent',
        teamName: null,
        creationTime: '2026-05-01T12:00:00.000Z',
        tags: ['vip', 'refund'],
        slaDueAt: '2026-05-09T12:00:00.000Z',
      });
      expect(items.map((t) => t.title)).not.toContain('Deleted');
      expect(items.map((t) => t.title)).not.toContain('Mine, closed');
      expect(items[0].priority).toBe('Urgent');
    });

    it('pages by keyset cursor to exactly the rows of one unpaged query of the same builder, in order', async () => {
      for (const viewName of [
        'All tickets',
        'Open tickets',
        'Urgent and high priority',
        'Unassigned',
      ] as const) {
        const id = acme.viewIds[viewName];
        const paged = await allPages<Ticket>(`/ticket-views/${id}/tickets`, as(acme, 'admin'), 2);
        const whole = await allPages<Ticket>(`/ticket-views/${id}/tickets`, as(acme, 'admin'), 500);
        expect(paged).toEqual(whole);
        const { rows } = await pool.query<{ columns: unknown; conditions: unknown; sort: unknown }>(
          'SELECT columns, conditions, sort FROM ticket_views WHERE id = $1',
          [id],
        );
        const builder = new TicketQueryBuilder(buildTicketQuery(rows[0]), {
          tenantId: acme.id,
          me: acme.userId('admin'),
          now: new Date(),
          timezone: 'UTC',
        });
        const sql = builder.select();
        const direct = await pool.query<{ id: string }>(sql.text, sql.values);
        expect(whole.map((t) => String(t.id))).toEqual(direct.rows.map((r) => r.id));
      }
    });

    it('reads @me as the caller', async () => {
      const view = acme.viewIds['My open tickets'];
      const mine = await request(api.baseUrl).get(`/ticket-views/${view}/tickets`).set(as(acme, 'agent'));
      expect((mine.body as Page<Ticket>).items.map((t) => t.title)).toEqual(['Mine, open, urgent']);
      const admins = await request(api.baseUrl).get(`/ticket-views/${view}/tickets`).set(as(acme, 'admin'));
      expect((admins.body as Page<Ticket>).items.map((t) => t.title)).toEqual(["Admin's, open"]);
    });

    it.each([
      ["another user's personal view", 'agent', 404, () => acme.viewIds['Billing and refunds']],
      ['a view of another tenant', 'admin', 404, () => other.viewIds['All tickets']],
      ['a view that does not exist', 'admin', 404, () => randomUUID()],
      ['its own personal view', 'admin', 200, () => acme.viewIds['Billing and refunds']],
    ] as const)('%s, as %s -> %i', async (_case, user, status, viewId) => {
      const response = await request(api.baseUrl)
        .get(`/ticket-views/${viewId()}/tickets`)
        .set(as(acme, user));
      expect(response.status).toBe(status);
      if (status === 404) expect(response.body).toMatchObject({ code: 'TICKET_VIEW.NOT_FOUND' });
    });

    it('refuses a cursor of another view with 400 naming cursor', async () => {
      const all = await request(api.baseUrl)
        .get(`/ticket-views/${acme.viewIds['All tickets']}/tickets?limit=1`)
        .set(as(acme, 'admin'));
      const cursor = (all.body as Page<Ticket>).nextCursor ?? '';
      const response = await request(api.baseUrl)
        .get(`/ticket-views/${acme.viewIds['Open tickets']}/tickets`)
        .query({ cursor })
        .set(as(acme, 'admin'));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ errors: [{ field: 'cursor' }] });
    });

    it('answers 422 for a stored view that no longer validates', async () => {
      const id = randomUUID();
      await pool.query(
        `INSERT INTO ticket_views (id, tenant_id, owner_id, name, is_system, columns) VALUES ($1, $2, NULL, 'Broken', true, $3)`,
        [id, acme.id, JSON.stringify(['id', 'removedField'])],
      );
      try {
        const response = await request(api.baseUrl).get(`/ticket-views/${id}/tickets`).set(as(acme, 'admin'));
        expect(response.status).toBe(422);
        expect(response.body).toMatchObject({ code: 'TICKET_VIEW.INVALID' });
        const create = await request(api.baseUrl)
          .post('/export-jobs')
          .set(as(acme, 'admin'))
          .send({ viewId: id });
        expect(create.status).toBe(422);
      } finally {
        await pool.query('DELETE FROM ticket_views WHERE id = $1', [id]);
      }
    });
  });
});
