import type { ExportJobDetails, ExportJobView } from '@app/application';
import { ExportJobDto } from './export-job.dto';
import { etagOf } from './job-etag';

export interface JobRepresentation {
  /** Shared between the requests that read the same job state: never mutate it. */
  readonly body: ExportJobDto;
  readonly etag: string;
}

/**
 * Bodies and ETags already built, per job state read (the read model serves the same ExportJobView object to every
 * poll until the job changes) and per "may download" (the only part of the body that depends on the reader). A
 * poll of an unchanged job, 200 or 304, then builds no DTO and hashes nothing; the entries go with their view.
 */
const built = new WeakMap<ExportJobView, { plain?: JobRepresentation; downloadable?: JobRepresentation }>();

export function jobRepresentation(details: ExportJobDetails): JobRepresentation {
  let forView = built.get(details.job);
  if (!forView) {
    forView = {};
    built.set(details.job, forView);
  }
  const slot = details.canDownload ? 'downloadable' : 'plain';
  const held = forView[slot];
  if (held) return held;
  const body = ExportJobDto.from(details);
  const made = { body, etag: etagOf(body) };
  forView[slot] = made;
  return made;
}
