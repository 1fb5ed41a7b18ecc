import type { Actor, ExportJobStatusValue } from '@app/domain';
import { Query } from '@nestjs/cqrs';
import type { ExportJobDetails } from '../export-job-details';

export interface ExportJobList {
  readonly items: readonly ExportJobDetails[];
  readonly nextCursor: string | null;
}

export class ListExportJobsQuery extends Query<ExportJobList> {
  constructor(
    readonly actor: Actor,
    readonly page: {
      readonly statuses: readonly ExportJobStatusValue[];
      readonly limit: number;
      readonly cursor: string | null;
    },
  ) {
    super();
  }
}
