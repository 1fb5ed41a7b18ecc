import { ExportFailureClassifier } from '@app/application';
import { isTransientFailure } from '../errors/failure-kind';

/** The worker's side of the one classification (errors/failure-kind.ts): outages and unknown failures are retried. */
export class DefaultExportFailureClassifier extends ExportFailureClassifier {
  isTransient(error: unknown): boolean {
    return isTransientFailure(error);
  }
}
