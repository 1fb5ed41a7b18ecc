import { type ExportFormat, type ExportSource, parseExportRequest } from '@app/domain';
import type { ExportFileRequest } from '@app/application';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import { formulaGuarded, isoInZone } from '../../../../test/support/expected-files';
import { createTestTenant, type TestTenant } from '../../../../test/support/factories';
import { readCsv, readJson, readNdjson } from '../../../../test/support/file-readers';
import { readXlsx } from '../../../../test/support/spreadsheets';
import nasty from '../seed/nasty-strings.json';
import { PgExportFileSource } from '../export/pg-export-file-source';

/**
 * The audit-events and users sources through the export engine's file source (one snapshot, COPY, every encoder),
 * against rows computed here with plain SQL: the tenant only, rows at or before the request's time, the source's
 * order; the users source reaches no credential.
 */
jest.setTimeout(60_000);

const ZONE = 'America/New_York';
const NASTY: readonly string[] = nasty.strings.slice(0, 12);

describe('record sources through the export file source', () => {
  let pool: Pool;
  let files: PgExportFileSource;
  let acme: TestTenant;
  let other: TestTenant;
  let requestedAt: Date;

  beforeAll(async () => {
    pool = testPool();
    files = new PgExportFileSource(pool, 7, { longQueryTimeoutMs: 30_000 });
    acme = await createTestTenant(pool);
    other = await createTestTenant(pool);
    const admin = acme.userId('admin');
    // Audit rows: nasty user agents and details, ties on the time, a row no user caused, another tenant's row.
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, job_id, ip, user_agent, details, created_at)
       SELECT $1, CASE WHEN n % 5 = 0 THEN NULL ELSE $2::uuid END, CASE WHEN n % 2 = 0 THEN 'export.requested' ELSE 'export.downloaded' END,
              gen_random_uuid(), '10.0.0.' || n, ua, jsonb_build_object('n', n, 'text', ua),
              timestamptz '2026-03-01T12:00:00Z' + ((n / 3) || ' hours')::interval
         FROM unnest($3::text[]) WITH ORDINALITY AS s(ua, n)`,
      [acme.id, admin, NASTY],
    );
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, created_at) VALUES ($1, $2, 'export.requested', now())`,
      [other.id, other.userId('admin')],
    );
    await pool.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [acme.userId('viewer')]);
    requestedAt = new Date();
    // Rows that came to exist after the request: not exported.
    await pool.query(
      `INSERT INTO audit_events (tenant_id, actor_id, action, created_at) VALUES ($1, $2, 'export.late', now() + interval '1 hour')`,
      [acme.id, admin],
    );
    await pool.query(
      `INSERT INTO users (id, tenant_id, email, name, created_at) VALUES (gen_random_uuid(), $1, $2, 'Late', now() + interval '1 hour')`,
      [acme.id, `late-${acme.id}@x.test`],
    );
  });
  afterAll(() => pool.end());

  const requestOf = (
    source: ExportSource,
    format: ExportFormat,
    body: Record<string, unknown> = {},
  ): ExportFileRequest => {
    const { query } = parseExportRequest({ source, format, timezone: ZONE, ...body }, null);
    return {
      tenantId: acme.id,
      requesterId: acme.userId('admin'),
      requesterEmail: acme.email('admin'),
      requestedAt,
      source,
      format,
      query: query,
    };
  };

  async function exportBytes(request: ExportFileRequest): Promise<{ bytes: Buffer; total: number }> {
    const file = await files.open(request);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of file.bytes()) chunks.push(chunk as Buffer);
      return { bytes: Buffer.concat(chunks), total: file.totalRows };
    } finally {
      await file.close();
    }
  }

  /** The audit log as the export must hold it, by plain SQL: typed values, in time desc then id desc order. */
  async function expectedAudit(where = 'true', values: unknown[] = []) {
    const { rows } = await pool.query<{
      time: Date;
      actorEmail: string | null;
      action: string;
      jobId: string | null;
      ip: string | null;
      userAgent: string | null;
      details: string;
    }>(
      `SELECT a.created_at AS time, u.email AS "actorEmail", a.action, a.job_id::text AS "jobId", a.ip,
              a.user_agent AS "userAgent", a.details::text AS details
         FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
        WHERE a.tenant_id = $1 AND a.created_at <= $2 AND ${where}
        ORDER BY a.created_at DESC, a.id DESC`,
      [acme.id, requestedAt, ...values],
    );
    return rows;
  }

  it('audit-events: CSV equals the audit rows of the tenant at the request time, newest first', async () => {
    const expected = await expectedAudit();
    expect(expected.length).toBeGreaterThanOrEqual(NASTY.length);
    const { bytes, total } = await exportBytes(requestOf('audit-events', 'csv'));
    const { header, records } = readCsv(bytes);
    expect(total).toBe(expected.length);
    expect(header).toEqual(['Time', 'Actor Email', 'Action', 'Job ID', 'IP', 'User Agent', 'Details']);
    const g = (v: string | null): string => (v === null ? '' : formulaGuarded(v));
    expect(records).toEqual(
      expected.map((r) => [
        isoInZone(r.time, ZONE),
        g(r.actorEmail),
        g(r.action),
        g(r.jobId),
        g(r.ip),
        g(r.userAgent),
        g(r.details),
      ]),
    );
    expect(records.some((r) => r[2] === 'export.late')).toBe(false);
  });

  it('audit-events: filters by time range, action and actor in the view grammar', async () => {
    const request = requestOf('audit-events', 'json', {
      columns: ['action', 'actorEmail', 'jobId'],
      filters: {
        and: [
          { field: 'time', operator: 'on_or_after', value: '2026-03-01' },
          { field: 'time', operator: 'before', value: '2026-03-01T14:00:00Z' },
          { field: 'action', operator: 'is_any_of', values: ['export.requested'] },
          { field: 'actor', operator: 'eq', value: acme.email('admin') },
        ],
      },
    });
    const expected = await expectedAudit(
      `a.created_at >= timestamptz '2026-03-01T05:00:00Z' AND a.created_at < $3 AND a.action = 'export.requested' AND u.email = $4`,
      ['2026-03-01T14:00:00Z', acme.email('admin')],
    );
    expect(expected.length).toBeGreaterThan(0);
    const rows = readJson((await exportBytes(request)).bytes);
    expect(rows).toEqual(
      expected.map((r) => ({ action: r.action, actorEmail: r.actorEmail, jobId: r.jobId })),
    );
  });

  it('audit-events: every format holds the same rows (NDJSON, XLSX, PDF)', async () => {
    const expected = await expectedAudit();
    const ndjson = readNdjson((await exportBytes(requestOf('audit-events', 'ndjson'))).bytes);
    expect(ndjson.map((r) => r.details)).toEqual(expected.map((r) => r.details));
    expect(ndjson[0]).toEqual(expect.objectContaining({ time: isoInZone(expected[0].time, ZONE) }));
    const [sheet] = await readXlsx((await exportBytes(requestOf('audit-events', 'xlsx'))).bytes);
    expect(sheet.name).toBe('Audit log');
    expect(sheet.rows.slice(1).map((r) => r[2])).toEqual(expected.map((r) => r.action));
    expect(sheet.rows.slice(1).map((r) => r[5] ?? null)).toEqual(expected.map((r) => r.userAgent));
    const pdf = (await exportBytes(requestOf('audit-events', 'pdf', { columns: ['time', 'action'] }))).bytes;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(1000);
  });

  /** The users as the export must hold them, by plain SQL over the seeded roles. */
  async function expectedUsers() {
    const { rows } = await pool.query<{
      name: string;
      email: string;
      admin: boolean;
      disabled: boolean;
      roles: string[];
      flags: number;
      created: Date;
    }>(
      `SELECT u.name, u.email, u.is_admin AS admin, u.disabled_at IS NOT NULL AS disabled, u.created_at AS created,
              coalesce(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS roles,
              coalesce(bit_or(r.permissions), 0) AS flags
         FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id
        WHERE u.tenant_id = $1 AND u.created_at <= $2
        GROUP BY u.id ORDER BY u.name, u.id`,
      [acme.id, requestedAt],
    );
    return rows;
  }

  it('users: JSON holds name, email, flags, roles and effective permission labels of the tenant', async () => {
    const { SYSTEM_PERMISSION_DESCRIPTORS } = await import('@app/domain');
    const expected = await expectedUsers();
    expect(expected.length).toBeGreaterThanOrEqual(5);
    const rows = readJson((await exportBytes(requestOf('users', 'json'))).bytes);
    expect(rows).toEqual(
      expected.map((u) => ({
        name: u.name,
        email: u.email,
        admin: u.admin,
        disabled: u.disabled,
        roles: u.roles,
        permissions: SYSTEM_PERMISSION_DESCRIPTORS.filter((d) => (u.flags & d.flag) !== 0).map(
          (d) => d.label,
        ),
        created: isoInZone(u.created, ZONE),
      })),
    );
    const admin = rows.find((r) => r.email === acme.email('admin'));
    expect(admin?.permissions).toContain('Import / Export Tickets');
    expect(rows.find((r) => r.email === acme.email('viewer'))?.disabled).toBe(true);
  });

  it('users: CSV, XLSX and NDJSON hold the same users; filters by admin flag', async () => {
    const expected = await expectedUsers();
    const { records } = readCsv((await exportBytes(requestOf('users', 'csv'))).bytes);
    expect(records.map((r) => [r[1], r[2], r[3]])).toEqual(
      expected.map((u) => [u.email, String(u.admin), String(u.disabled)]),
    );
    expect(records.map((r) => r[4])).toEqual(expected.map((u) => u.roles.join(', ')));
    const [sheet] = await readXlsx((await exportBytes(requestOf('users', 'xlsx'))).bytes);
    expect(sheet.rows.slice(1).map((r) => r[1])).toEqual(expected.map((u) => u.email));
    const admins = readNdjson(
      (
        await exportBytes(
          requestOf('users', 'ndjson', {
            filters: { and: [{ field: 'admin', operator: 'is', value: 'true' }] },
          }),
        )
      ).bytes,
    );
    expect(admins.map((r) => r.email)).toEqual(expected.filter((u) => u.admin).map((u) => u.email));
  });

  it('users: no column or filter reaches a credential, even one the users table would hold', async () => {
    const secret = `hash-${acme.id}`;
    const client = await pool.connect();
    try {
      // A credential column added to users inside a transaction that is rolled back: other specs never see it.
      await client.query('BEGIN');
      await client.query('ALTER TABLE users ADD COLUMN password_hash text');
      await client.query('UPDATE users SET password_hash = $1 WHERE tenant_id = $2', [secret, acme.id]);
      const all = (await import('@app/domain')).USERS_SOURCE.columns.map((c) => c.key);
      const { query } = parseExportRequest({ source: 'users', columns: all, timezone: ZONE }, null);
      const { EXPORT_SOURCE_SQL } = await import('./registry');
      for (const format of ['csv', 'json'] as const) {
        const request = { ...requestOf('users', format), query: query };
        const copy = EXPORT_SOURCE_SQL.users.copy(request, format);
        await client.query(copy.setup.text, copy.setup.values);
        const { rows } = await client.query<Record<string, string>>(copy.text);
        expect(rows.length).toBeGreaterThan(0);
        expect(JSON.stringify(rows)).not.toContain(secret);
        expect(copy.text).not.toMatch(/password|hash|token|secret/i);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    for (const field of ['password_hash', 'passwordHash', 'token'])
      expect(() =>
        parseExportRequest(
          { source: 'users', columns: [field], filters: { and: [{ field, operator: 'eq', value: 'x' }] } },
          null,
        ),
      ).toThrow(/columns\[0\]: unknown column.*filters.and\[0\].field: unknown field/);
  });

  it('another tenant exports its own rows only', async () => {
    const request = { ...requestOf('audit-events', 'ndjson'), tenantId: other.id };
    const rows = readNdjson((await exportBytes(request)).bytes);
    expect(rows.map((r) => r.actorEmail)).toEqual([other.email('admin')]);
  });
});
