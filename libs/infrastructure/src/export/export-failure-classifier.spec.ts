import { DomainError } from '@app/domain';
import { DefaultExportFailureClassifier } from './export-failure-classifier';

describe('DefaultExportFailureClassifier', () => {
  const classifier = new DefaultExportFailureClassifier();

  it('retries an outage and what it does not recognise', () => {
    expect(classifier.isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(classifier.isTransient(new Error('something else'))).toBe(true);
  });

  it('never retries a decision of the service or a query Postgres rejects', () => {
    expect(classifier.isTransient(new DomainError('EXPORT_JOB.INVALID_TRANSITION', 'x'))).toBe(false);
    expect(classifier.isTransient(Object.assign(new Error('x'), { code: '42601' }))).toBe(false);
  });
});
