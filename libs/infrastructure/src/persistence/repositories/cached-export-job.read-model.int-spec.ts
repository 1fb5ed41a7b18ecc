import { randomUUID } from 'node:crypto';
import { type ExportJobView, exportJobView } from '@app/application';
import { DEFAULT_TICKET_QUERY, ExportJob } from '@app/domain';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { testDataSource, testPool } from '../../../../../test/support/database';
import { createTestTenant, type TestTenant } from '../../../../../test/support/factories';
import { CachedExportJobReadModel } from './cached-export-job.read-model';
import { TypeormExportJobReadModel } from './typeorm-export-job.read-model';
import { TypeormExportJobRepository } from './typeorm-export-job.repository';

/** The real read model, whose next findById waits at the gate until the test opens it (a read in flight). */
class GatedReadModel extends TypeormExportJobReadModel {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  closeGate(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  openGate(): void {
    this.open?.();
    this.gate = null;
  }

  override async findById(tenantId: string, id: string): Promise<ExportJobView | null> {
    const view = await super.findById(tenantId, id);
    if (this.gate) await this.gate;
    return view;
  }
}

describe('CachedExportJobReadModel', () => {
  let pool: Pool;
  let dataSource: DataSource;
  let acme: TestTenant;
  let other: TestTenant;
  let repository: TypeormExportJobRepository;
  let inner: GatedReadModel;
  let now: number;
  let cache: CachedExportJobReadModel;

  beforeAll(async () => {
    pool = testPool();
    dataSource = await testDataSource();
    acme = await createTestTenant(pool);
    other = await createTestTenant(pool);
    repository = new TypeormExportJobRepository(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await pool.end();
  });
  beforeEach(() => {
    now = 1_000_000;
    inner = new GatedReadModel(dataSource);
    cache = new CachedExportJobReadModel(inner, { maxAgeMs: 1000, maxEntries: 3, now: () => now });
  });

  async function savedJob(): Promise<ExportJob> {
    const job = ExportJob.request({
      id: randomUUID(),
      tenantId: acme.id,
      requestedBy: { id: acme.userId('agent'), email: acme.email('agent') },
      source: 'tickets',
      format: 'csv',
      query: { ...DEFAULT_TICKET_QUERY, viewId: null, viewName: null, timezone: 'UTC', fileName: null },
      now: new Date('2026-11-20T10:00:00.000Z'),
    });
    await repository.save(job);
    return job;
  }

  async function started(job: ExportJob): Promise<void> {
    job.start(new Date('2026-11-20T10:00:01.000Z'));
    await repository.save(job);
  }

  it('serves the state it read until a change of that job is announced, then reads the new state', async () => {
    const job = await savedJob();
    const first = await cache.findById(acme.id, job.id);
    expect(first?.status).toBe('queued');
    await started(job);
    expect(await cache.findById(acme.id, job.id)).toBe(first);
    cache.changed({ tenantId: acme.id, jobId: job.id });
    expect(await cache.findById(acme.id, job.id)).toEqual(exportJobView(job));
  });

  it('does not keep a read that was in flight when a change was announced', async () => {
    const job = await savedJob();
    inner.closeGate();
    const inFlight = cache.findById(acme.id, job.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await started(job);
    cache.changed({ tenantId: acme.id, jobId: job.id });
    inner.openGate();
    expect((await inFlight)?.status).toBe('queued');
    expect((await cache.findById(acme.id, job.id))?.status).toBe('running');
  });

  it('without any announcement serves a read for less than maxAgeMs after it started', async () => {
    const job = await savedJob();
    await cache.findById(acme.id, job.id);
    await started(job);
    now += 999;
    expect((await cache.findById(acme.id, job.id))?.status).toBe('queued');
    now += 1;
    expect((await cache.findById(acme.id, job.id))?.status).toBe('running');
  });

  it('forgets everything when the subscription is re-established (changes may have been missed)', async () => {
    const job = await savedJob();
    await cache.findById(acme.id, job.id);
    await started(job);
    cache.resubscribed();
    expect(cache.size).toBe(0);
    expect((await cache.findById(acme.id, job.id))?.status).toBe('running');
  });

  it('keys by tenant and never caches a job it did not find', async () => {
    const job = await savedJob();
    await cache.findById(acme.id, job.id);
    expect(await cache.findById(other.id, job.id)).toBeNull();
    expect(cache.size).toBe(1);
  });

  it('holds at most maxEntries jobs, dropping the oldest read', async () => {
    const jobs = [await savedJob(), await savedJob(), await savedJob(), await savedJob()];
    for (const job of jobs) await cache.findById(acme.id, job.id);
    expect(cache.size).toBe(3);
    await started(jobs[0]);
    await started(jobs[3]);
    expect((await cache.findById(acme.id, jobs[0].id))?.status).toBe('running');
    expect((await cache.findById(acme.id, jobs[3].id))?.status).toBe('queued');
  });

  it('passes lists and downloads through to the database', async () => {
    const job = await savedJob();
    await cache.findById(acme.id, job.id);
    await started(job);
    const page = await cache.list(acme.id, {
      requestedById: null,
      statuses: ['running'],
      limit: 50,
      cursor: null,
    });
    expect(page.items.map((item) => item.id)).toContain(job.id);
    expect((await cache.findDownload(acme.id, job.id))?.status).toBe('running');
  });
});
