import { NotFoundException, UnsupportedMediaTypeException } from '@nestjs/common';
import { DomainError, ERROR_CODES, type ErrorCode, ValidationError } from '@app/domain';
import { PROBLEM_CODES, problemFor, STATUS_BY_CODE } from './problem';

describe('problemFor', () => {
  it('has a status for every code of the catalogue, and for nothing else', () => {
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each([...ERROR_CODES])('answers %s with the status of the map', (code) => {
    expect(problemFor(new DomainError(code, 'm'), 'r').body.status).toBe(STATUS_BY_CODE[code]);
  });

  it('documents every code a client can read, and none it cannot', () => {
    expect(PROBLEM_CODES).toEqual(expect.arrayContaining(['EXPORT_JOB.CONCURRENT_UPDATE', 'MALFORMED_JSON']));
    expect(PROBLEM_CODES).not.toContain('STORAGE.INVALID_KEY');
  });

  it.each<[ErrorCode, string, number]>([
    ['ACCESS_DENIED', 'no', 403],
    ['AUTH.UNAUTHENTICATED', 'no', 401],
    ['EXPORT_JOB.NOT_FOUND', 'no', 404],
    ['TICKET_VIEW.NOT_FOUND', 'no', 404],
    ['EXPORT_JOB.INVALID_TRANSITION', 'no', 409],
    ['EXPORT_JOB.NOT_RETRYABLE', 'no', 409],
    ['EXPORT_JOB.NOT_COMPLETED', 'no', 409],
    ['EXPORT_JOB.CONCURRENT_UPDATE', 'no', 409],
    ['IDEMPOTENCY_KEY.REUSED', 'no', 409],
    ['EXPORT_JOB.EXPIRED', 'no', 410],
    ['EXPORT_JOB.FILE_MISSING', 'no', 410],
    ['TICKET_VIEW.INVALID', 'no', 422],
    ['EXPORT_JOB.TOO_MANY_ACTIVE', 'no', 429],
  ])('maps %s to %s', (code, message, status) => {
    const { body, unexpected } = problemFor(new DomainError(code, message), 'req-1');
    expect(body).toMatchObject({ status, code, detail: message });
    expect(body.type).toMatch(/^https:\/\//);
    expect(unexpected).toBe(false);
  });

  it('lists the field errors of a ValidationError', () => {
    const { body } = problemFor(new ValidationError([{ field: 'format', message: 'unknown' }]), 'r');
    expect(body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'format', message: 'unknown' }],
    });
  });

  it('sends Retry-After with 429 and WWW-Authenticate with 401', () => {
    expect(
      problemFor(new DomainError('EXPORT_JOB.TOO_MANY_ACTIVE', 'x', { retryAfterSeconds: 30 }), 'r').headers,
    ).toEqual({
      'Retry-After': '30',
    });
    expect(problemFor(new DomainError('AUTH.UNAUTHENTICATED', 'x'), 'r').headers).toEqual({
      'WWW-Authenticate': 'Bearer',
    });
  });

  it.each([
    [
      'a body over the limit',
      Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a body in another charset',
      Object.assign(new Error('x'), { type: 'charset.unsupported', status: 415 }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['another content type', new UnsupportedMediaTypeException('json please'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an unknown route', new NotFoundException('Cannot GET /x'), 404, 'ROUTE.NOT_FOUND'],
  ])('maps %s', (_case, error, status, code) => {
    expect(problemFor(error, 'r').body).toMatchObject({ status, code });
  });

  it('answers anything unexpected with a generic 500 that names the request id and nothing else', () => {
    const problem = problemFor(
      new TypeError("Cannot read properties of undefined (reading 'map') at secret.ts:12"),
      'req-42',
    );
    expect(problem.unexpected).toBe(true);
    expect(problem.body).toEqual({
      type: 'https://export-service.dev/problems/internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side. Quote request id req-42 when you report it.',
      code: 'INTERNAL_ERROR',
    });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a Postgres shutdown', Object.assign(new Error('q'), { driverError: { code: '57P01' } })],
    ['a serialization failure', Object.assign(new Error('q'), { code: '40001' })],
    [
      'S3 slowing down',
      Object.assign(new Error('s'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }),
    ],
  ])('answers %s with 503 and Retry-After', (_case, error) => {
    const problem = problemFor(error, 'r');
    expect(problem.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(problem.headers).toEqual({ 'Retry-After': '5' });
    expect(JSON.stringify(problem.body)).not.toContain('ECONNREFUSED');
  });

  it.each<ErrorCode>([
    'STORAGE.INVALID_KEY',
    'STORAGE.NOT_FOUND',
    'STORAGE.INVALID_UPLOAD_ID',
    'STORAGE.UPLOAD_ABORTED',
    'EXPORT_JOB.UNKNOWN_STATUS',
    'EXPORT_JOB.INVALID_PROGRESS',
  ])('answers %s, a fault of the service, as unexpected without its message', (code) => {
    const problem = problemFor(new DomainError(code, 'key /etc'), 'r');
    expect(problem.unexpected).toBe(true);
    expect(problem.body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(problem.body)).not.toContain('/etc');
  });

  it('answers storage being unreachable with 503 and Retry-After, without its message', () => {
    const problem = problemFor(
      new DomainError('STORAGE.UNAVAILABLE', 'S3 bucket "secret" is not reachable'),
      'r',
    );
    expect(problem.unexpected).toBe(true);
    expect(problem.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(problem.headers).toEqual({ 'Retry-After': '5' });
    expect(JSON.stringify(problem.body)).not.toContain('secret');
  });
});
