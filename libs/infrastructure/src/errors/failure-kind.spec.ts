import { RestError } from '@azure/storage-blob';
import { DomainError, ValidationError } from '@app/domain';
import { classifyFailure, type FailureKind, isTransientFailure } from './failure-kind';

const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
const azureError = (code: string, statusCode?: number): RestError =>
  new RestError(code, { code, statusCode });
const s3Error = (name: string, httpStatusCode: number, fault: 'client' | 'server'): Error =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode } });

describe('classifyFailure', () => {
  it.each<[string, unknown, FailureKind]>([
    ['a DomainError', new DomainError('EXPORT_JOB.NOT_FOUND', 'no'), 'refusal'],
    ['a ValidationError', new ValidationError([{ field: 'f', message: 'm' }]), 'refusal'],
    ['a refused connection', withCode('ECONNREFUSED'), 'outage'],
    ['a reset socket', withCode('ECONNRESET'), 'outage'],
    ['a broken pipe', withCode('EPIPE'), 'outage'],
    ['a DNS hiccup', withCode('EAI_AGAIN'), 'outage'],
    ['Postgres shutting down (57P01)', withCode('57P01'), 'outage'],
    ['Postgres shutting down, wrapped by TypeORM', { driverError: { code: '57P01' } }, 'outage'],
    ['too many connections (53300)', withCode('53300'), 'outage'],
    ['a lost connection (08006)', withCode('08006'), 'outage'],
    ['a serialization failure (40001)', withCode('40001'), 'outage'],
    ['a syntax error (42601)', withCode('42601'), 'rejection'],
    ['a missing column (42703), wrapped', { driverError: { code: '42703' } }, 'rejection'],
    ['S3 SlowDown (503)', s3Error('SlowDown', 503, 'server'), 'outage'],
    ['S3 throttling (429)', s3Error('ThrottlingException', 429, 'client'), 'outage'],
    ['S3 AccessDenied (403)', s3Error('AccessDenied', 403, 'client'), 'rejection'],
    ['Azure InternalError (500)', azureError('InternalError', 500), 'outage'],
    ['Azure ServerBusy (503)', azureError('ServerBusy', 503), 'outage'],
    ['Azure throttling (429)', azureError('TooManyRequests', 429), 'outage'],
    ['Azure OperationTimedOut (408)', azureError('OperationTimedOut', 408), 'outage'],
    ['Azure, a reset connection', azureError('ECONNRESET'), 'outage'],
    ['Azure, no answer at all', azureError('REQUEST_SEND_ERROR'), 'outage'],
    ['Azure AuthenticationFailed (403)', azureError('AuthenticationFailed', 403), 'rejection'],
    ['Azure ContainerNotFound (404)', azureError('ContainerNotFound', 404), 'rejection'],
    ['an SDK timeout without status', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'outage'],
    ['a client fault without status', Object.assign(new Error('c'), { $fault: 'client' }), 'rejection'],
    [
      'refused connections to ::1 and 127.0.0.1',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect'),
      'outage',
    ],
    ['a TypeError', new TypeError('x is undefined'), 'unknown'],
    ['a thrown string', 'boom', 'unknown'],
    ['a missing file', withCode('ENOENT'), 'unknown'],
  ])('%s is %s', (_case, error, kind) => {
    expect(classifyFailure(error)).toBe(kind);
  });

  it('counts outages and unknown failures as transient, refusals and rejections as permanent', () => {
    expect(isTransientFailure(withCode('ETIMEDOUT'))).toBe(true);
    expect(isTransientFailure(new Error('?'))).toBe(true);
    expect(isTransientFailure(new DomainError('TICKET_VIEW.INVALID', 'x'))).toBe(false);
    expect(isTransientFailure(withCode('42P01'))).toBe(false);
  });
});
