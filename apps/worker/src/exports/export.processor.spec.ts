import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { RetryableExportError, type RunExportJobOutcome } from '@app/application';
import { type ExportQueueData, isTransientFailure, loadConfig } from '@app/infrastructure';
import { DelayedError, type Job } from 'bullmq';
import { ExportProcessor } from './export.processor';

/** A delivery of the queue: records where it is moved. */
function delivery(jobId = 'job-1') {
  const delays: number[] = [];
  const job = {
    data: { tenantId: 'tenant-1', jobId },
    moveToDelayed: (timestamp: number) => {
      delays.push(timestamp - Date.now());
      return Promise.resolve();
    },
  };
  return { job: job as unknown as Job<ExportQueueData>, delays };
}

function setup(answers: (() => Promise<RunExportJobOutcome>)[]) {
  const bus = { execute: () => (answers.shift() ?? (() => Promise.resolve('completed')))() };
  return new ExportProcessor(bus as unknown as CommandBus, loadConfig({}), {
    isTransient: isTransientFailure,
  });
}

const outage = (): Promise<never> =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

describe('ExportProcessor', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('postpones an attempt that could not record its end in an outage, with backoff, spending no queue attempt', async () => {
    const processor = setup([outage, outage, outage, () => Promise.resolve('completed'), outage]);
    const { job, delays } = delivery();
    for (let i = 0; i < 3; i++)
      await expect(processor.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(delays.map((ms) => Math.round(ms / 1000))).toEqual([1, 2, 4]);
    await expect(processor.process(job, 'token')).resolves.toBe('completed');
    // The backoff starts again once an attempt ended.
    await expect(processor.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(Math.round((delays.at(-1) ?? 0) / 1000)).toBe(1);
  });

  it('caps the backoff at 30 s', async () => {
    const processor = setup(Array.from({ length: 8 }, () => outage));
    const { job, delays } = delivery();
    for (let i = 0; i < 8; i++)
      await expect(processor.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(delays.map((ms) => Math.round(ms / 1000))).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it.each([
    [
      'a transient failure the attempt recorded (the queue retries it)',
      new RetryableExportError('ECONNRESET'),
    ],
    ['a failure that is no outage', Object.assign(new Error('permission denied'), { code: '42501' })],
  ])('leaves %s to the queue', async (_, error) => {
    const processor = setup([() => Promise.reject(error)]);
    const { job, delays } = delivery();
    await expect(processor.process(job, 'token')).rejects.toBe(error);
    expect(delays).toEqual([]);
  });

  it('moves a released job back to the queue without spending an attempt', async () => {
    const processor = setup([() => Promise.resolve('released')]);
    const { job, delays } = delivery();
    await expect(processor.process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(delays).toHaveLength(1);
  });
});
