import { Injectable } from '@nestjs/common';
import { ExportJobStatistics } from '@app/application';
import { EXPORT_JOB_STATUSES } from '@app/domain';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PAGE = 1000;
const MAX_PAGES_PER_SCRAPE = 20;

/**
 * The API's Prometheus registry (one per app, so test apps never share one). Export numbers come from the
 * database, across tenants: job counts by status and the queue depth (queued jobs) as read at scrape time; rows
 * and durations of exports completed since this process started, counted once each as they are seen.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly jobs = new Gauge({
    name: 'export_jobs',
    help: 'Export jobs by status, all tenants',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'export_queue_depth',
    help: 'Export jobs waiting to run (status queued)',
    registers: [this.registry],
  });
  private readonly rows = new Counter({
    name: 'export_rows_exported_total',
    help: 'Rows written by exports completed since the API started',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'export_job_duration_seconds',
    help: 'From the start of an export attempt to completion, for exports completed since the API started',
    labelNames: ['format'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  private readonly startedAt = new Date();
  private watermark: string | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly statistics: ExportJobStatistics) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text, with the export numbers refreshed first. */
  async scrape(): Promise<string> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
    return this.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const counts = await this.statistics.countByStatus();
    for (const status of EXPORT_JOB_STATUSES) this.jobs.set({ status }, counts[status]);
    this.queueDepth.set(counts.queued);
    for (let page = 0; page < MAX_PAGES_PER_SCRAPE; page += 1) {
      const finished = await this.statistics.completedAfter(this.startedAt, this.watermark, PAGE);
      for (const job of finished.items) {
        this.duration.observe({ format: job.format }, job.durationSeconds);
        this.rows.inc({ format: job.format }, job.rowCount);
      }
      this.watermark = finished.watermark;
      if (finished.items.length < PAGE) break;
    }
  }
}
