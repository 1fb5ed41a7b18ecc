import { type Actor, canDownloadExportJob, ExportJob, type ExportJobProps } from '@app/domain';

/** A job as its reader may see it: the job's state and whether this reader may download its file right now. */
export interface ExportJobDetails {
  readonly job: ExportJobProps;
  readonly canDownload: boolean;
}

export function exportJobDetails(job: ExportJob | ExportJobProps, actor: Actor, now: Date): ExportJobDetails {
  const aggregate = job instanceof ExportJob ? job : ExportJob.restore(job);
  const props = aggregate.toSnapshot();
  return {
    job: props,
    canDownload:
      props.status === 'completed' &&
      props.file !== null &&
      !aggregate.isExpiredAt(now) &&
      canDownloadExportJob(actor, props),
  };
}
