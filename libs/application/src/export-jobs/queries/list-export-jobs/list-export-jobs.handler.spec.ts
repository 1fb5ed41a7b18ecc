import { type Actor, SystemPermissions } from '@app/domain';
import { anActor, anExportJob } from '@app/domain/testing/export-job.factory';
import type { ExportJobListFilter, ExportJobListPage } from '../../../ports/export-job.read-model';
import { FakeExportJobRepository, FakeReadModel, FixedClock } from '../../../testing/api-fakes';
import { exportJobView } from '../export-job-details';
import { ListExportJobsHandler } from './list-export-jobs.handler';
import { ListExportJobsQuery } from './list-export-jobs.query';

const P = SystemPermissions;

class RecordingReadModel extends FakeReadModel {
  readonly calls: { tenantId: string; filter: ExportJobListFilter }[] = [];
  override list(tenantId: string, filter: ExportJobListFilter): Promise<ExportJobListPage> {
    this.calls.push({ tenantId, filter });
    return Promise.resolve({
      items: [exportJobView(anExportJob({ status: 'completed' }))],
      nextCursor: 'next',
    });
  }
}

describe('ListExportJobsHandler', () => {
  it.each<[string, Actor, boolean]>([
    [
      'an export admin sees the whole tenant',
      anActor({ isAdmin: true, permissions: P.ImportExportTickets }),
      true,
    ],
    ['an agent sees its own jobs', anActor({ permissions: P.ImportExportTickets }), false],
    [
      'an admin without the permission sees its own jobs',
      anActor({ isAdmin: true, permissions: P.ViewAuditLog }),
      false,
    ],
    ['a user without permissions sees its own jobs', anActor({ permissions: 0 }), false],
  ])('%s', async (_case, actor, wholeTenant) => {
    const readModel = new RecordingReadModel(new FakeExportJobRepository());
    const handler = new ListExportJobsHandler(readModel, new FixedClock(new Date()));
    const page = await handler.execute(
      new ListExportJobsQuery(actor, { statuses: ['failed'], limit: 10, cursor: 'c' }),
    );
    expect(readModel.calls).toEqual([
      {
        tenantId: actor.tenantId,
        filter: {
          requestedById: wholeTenant ? null : actor.userId,
          statuses: ['failed'],
          limit: 10,
          cursor: 'c',
        },
      },
    ]);
    expect(page.nextCursor).toBe('next');
    expect(page.items).toHaveLength(1);
  });
});
