/**
 * Which failures are worth another attempt (a lost connection, S3 answering 5xx, a timeout) and which are not
 * (a query Postgres rejects, storage refusing access). Infrastructure knows the error shapes; the use case decides.
 */
export abstract class ExportFailureClassifier {
  abstract isTransient(error: unknown): boolean;
}
