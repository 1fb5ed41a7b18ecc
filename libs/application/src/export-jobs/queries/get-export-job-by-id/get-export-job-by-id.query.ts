import type { Actor } from '@app/domain';
import { Query } from '@nestjs/cqrs';
import type { ExportJobDetails } from '../export-job-details';

export class GetExportJobByIdQuery extends Query<ExportJobDetails> {
  constructor(
    readonly actor: Actor,
    readonly jobId: string,
  ) {
    super();
  }
}
