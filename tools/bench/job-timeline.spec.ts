import { type JobSample, phasesOf } from './job-timeline';

const REQUESTED = 1_000_000;

function sample(at: number, fields: Partial<JobSample>): JobSample {
  return {
    at: REQUESTED + at,
    status: 'running',
    stage: 'counting',
    rowsExported: 0,
    totalRows: null,
    requestedAt: REQUESTED,
    startedAt: REQUESTED + 100,
    completedAt: null,
    localBytes: null,
    ...fields,
  };
}

describe('phasesOf', () => {
  it('times each step from requested_at: row timestamps exactly, the rest when first seen', () => {
    const phases = phasesOf([
      sample(120, {}),
      sample(140, { stage: 'exporting', totalRows: 1000 }),
      sample(160, { stage: 'exporting', totalRows: 1000, rowsExported: 400 }),
      sample(180, { stage: 'uploading', totalRows: 1000, rowsExported: 1000 }),
      sample(200, {
        status: 'completed',
        stage: null,
        totalRows: 1000,
        rowsExported: 1000,
        completedAt: REQUESTED + 190,
      }),
    ]);
    expect(phases).toEqual({
      startedMs: 100,
      countMs: 140,
      firstByteMs: 160,
      firstByteSource: 'progress',
      lastByteMs: 180,
      uploadDoneMs: 190,
      completedMs: 200,
    });
  });

  it("prefers the file's first bytes on the local driver to the progress saved every 500 ms", () => {
    const phases = phasesOf([
      sample(140, { stage: 'exporting', totalRows: 10, localBytes: 0 }),
      sample(160, { stage: 'exporting', totalRows: 10, localBytes: 4096 }),
      sample(700, { stage: 'exporting', totalRows: 10, rowsExported: 5, localBytes: 8192 }),
      sample(720, {
        status: 'completed',
        stage: null,
        totalRows: 10,
        rowsExported: 10,
        completedAt: REQUESTED + 710,
      }),
    ]);
    expect(phases.firstByteMs).toBe(160);
    expect(phases.firstByteSource).toBe('file');
    expect(phases.lastByteMs).toBe(720);
  });

  it('leaves unseen steps null: a job that never left the queue, or no sample at all', () => {
    const queued = phasesOf([sample(50, { status: 'queued', stage: 'queued', startedAt: null })]);
    expect(queued).toMatchObject({ startedMs: null, countMs: null, firstByteMs: null, completedMs: null });
    expect(phasesOf([]).firstByteSource).toBeNull();
  });
});
