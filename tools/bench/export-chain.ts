import type { Pool } from 'pg';
import type { ExportServiceClient } from '../shared/http-client';
import { sleep } from './stats';

/**
 * Keeps one export of the largest size running: when one ends, the next is requested, so any load put on the API
 * meanwhile meets a running export. Reads the jobs' rows every 100 ms (not the API, which is being measured).
 */
export class ExportChain {
  readonly jobIds: string[] = [];
  private stopping = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly client: ExportServiceClient,
    private readonly body: Readonly<Record<string, unknown>>,
  ) {}

  /** The job requested last (running, or about to be). */
  get current(): string {
    const id = this.jobIds.at(-1);
    if (!id) throw new Error('the export chain has not started');
    return id;
  }

  /** Starts the chain; resolves once the first job has counted its rows and is streaming them. */
  async start(): Promise<void> {
    this.loop = this.run();
    for (;;) {
      if (this.jobIds.length > 0) {
        const { rows } = await this.pool.query<{ stage: string | null; status: string }>(
          'SELECT stage, status FROM export_jobs WHERE id = $1',
          [this.current],
        );
        if (rows[0]?.stage === 'exporting') return;
        if (rows[0] && !['queued', 'running'].includes(rows[0].status))
          throw new Error(`export ${this.current} ended ${rows[0].status}`);
      }
      await sleep(50);
    }
  }

  /** Rows exported so far by every job of the chain (progress is saved every 500 ms by the worker). */
  async rowsExported(): Promise<number> {
    const { rows } = await this.pool.query<{ rows: string }>(
      'SELECT coalesce(sum(rows_exported), 0) AS rows FROM export_jobs WHERE id = ANY($1::uuid[])',
      [this.jobIds],
    );
    return Number(rows[0].rows);
  }

  /** Requests no more jobs, cancels the running one and waits until it has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const { id } = await this.client.createExportJob(this.body);
      this.jobIds.push(id);
      let cancelled = false;
      for (;;) {
        const { rows } = await this.pool.query<{ status: string }>(
          'SELECT status FROM export_jobs WHERE id = $1',
          [id],
        );
        const status = rows[0]?.status;
        if (status !== 'queued' && status !== 'running') {
          if (status !== 'completed' && !cancelled) throw new Error(`export ${id} ended ${status}`);
          break;
        }
        if (this.stopping && !cancelled) {
          cancelled = true;
          await this.client.cancelExportJob(id, AbortSignal.timeout(10_000));
        }
        await sleep(100);
      }
    }
  }
}
