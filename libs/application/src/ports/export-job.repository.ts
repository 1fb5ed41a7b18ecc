import type { ExportJob } from '@app/domain';

/**
 * Persistence of the ExportJob aggregate. The tenant is part of every lookup, so a job of another tenant is
 * simply not found. `save` is optimistic: it fails with EXPORT_JOB.CONCURRENT_UPDATE when the stored job changed
 * since it was loaded (a cancel racing the worker), and the caller reloads and decides again.
 */
export abstract class ExportJobRepository {
  abstract findById(tenantId: string, id: string): Promise<ExportJob | null>;
  abstract save(job: ExportJob): Promise<void>;
}
