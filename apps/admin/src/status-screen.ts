import { ApiError, type ExportJob, isActive } from './api.js';
import { bytesText } from './cells.js';
import type { Screen } from './context.js';
import { h, numberFormat, replace } from './dom.js';
import { downloadJobFile } from './download.js';
import { type Channel, watchJob } from './job-watch.js';
import { describeError } from './messages.js';
import { durationText, ProgressRate } from './progress-rate.js';
import { firstAutomaticDownload, signOut } from './session.js';

const STATUS_TEXT: Record<ExportJob['status'], string> = {
  queued: 'Waiting for a worker',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  expired: 'Expired',
};
const STAGE_TEXT: Record<string, string> = {
  queued: 'queued',
  counting: 'counting the rows',
  exporting: 'exporting rows',
  uploading: 'storing the file',
  finalizing: 'finishing',
};

/** Completed in the last 2 minutes: a small export may finish before the page first reads it. */
const completedJustNow = (job: ExportJob): boolean =>
  job.completedAt !== null && Date.now() - Date.parse(job.completedAt) < 120_000;

/**
 * One job: stage, a labelled <progress>, rows x of y, rows/s and time left, live through the events stream (or
 * polling); Cancel while it runs; on completion one automatic download for a person who may download, and a
 * Download button; on failure the safe message and Retry; expired: the file is gone, start a new export.
 */
export const statusScreen: Screen = (context, jobId) => {
  const id = jobId ?? '';
  const controller = new AbortController();
  const rate = new ProgressRate();
  const title = h('h1', {}, 'Export');
  const statusLine = h('p', { class: 'status-line', role: 'status' }, 'Loading…');
  const progress = h('progress', { id: 'job-progress', max: 100 });
  const rows = h('p', { class: 'figures' });
  const speed = h('p', { class: 'figures' });
  const channel = h('p', { class: 'hint' });
  const message = h('div', { class: 'message' });
  const error = h('p', { class: 'error', role: 'alert' });
  const actions = h('div', { class: 'actions' });
  const file = h('dl', { class: 'file', hidden: true });
  const section = h(
    'section',
    { class: 'card job', 'data-job-id': id },
    statusLine,
    h('label', { for: 'job-progress' }, 'Export progress'),
    progress,
    rows,
    speed,
    channel,
    message,
    file,
    error,
    actions,
  );
  replace(context.main, title, section);
  let lastStatus: string | null = null;
  /** The automatic download is for the person who waited for this export, not for one opening an old job. */
  let sawActive = false;

  const button = (
    label: string,
    onClick: (target: HTMLButtonElement) => void,
    primary = false,
  ): HTMLButtonElement => {
    const target = h('button', { type: 'button', class: primary ? 'primary' : undefined }, label);
    target.addEventListener('click', () => onClick(target));
    return target;
  };

  const startDownload = (job: ExportJob): void => {
    error.textContent = '';
    context.announce('Downloading the file…');
    downloadJobFile(context.api, job)
      .then((name) => context.announce(`Downloaded ${name}.`))
      .catch((failure: unknown) => (error.textContent = describeError(failure, 'download')));
  };

  const cancel = (target: HTMLButtonElement): void => {
    target.disabled = true;
    context.api
      .json<ExportJob>(`/export-jobs/${id}/cancel`, { method: 'POST' })
      .then(render)
      .catch((failure: unknown) => {
        target.disabled = false;
        error.textContent = describeError(failure);
      });
  };

  const retry = (target: HTMLButtonElement): void => {
    target.disabled = true;
    context.api
      .json<ExportJob>(`/export-jobs/${id}/retry`, { method: 'POST' })
      .then((job) => context.navigate(`#/jobs/${job.id}`))
      .catch((failure: unknown) => {
        target.disabled = false;
        error.textContent = describeError(failure);
      });
  };

  function render(job: ExportJob, via?: Channel): void {
    if (isActive(job)) sawActive = true;
    title.textContent = `Export of “${job.view?.name ?? 'all tickets'}” (${job.format.toUpperCase()})`;
    section.dataset.status = job.status;
    const stage = job.status === 'running' && job.stage ? ` — ${STAGE_TEXT[job.stage] ?? job.stage}` : '';
    statusLine.textContent = `${STATUS_TEXT[job.status]}${stage}`;
    progress.value = job.progress.percent;
    progress.textContent = `${job.progress.percent}%`;
    const total = job.progress.totalRows;
    rows.textContent =
      total === null
        ? `${numberFormat.format(job.progress.rowsExported)} rows exported`
        : `${numberFormat.format(job.progress.rowsExported)} of ${numberFormat.format(total)} rows (${job.progress.percent}%)`;
    const { rowsPerSecond, secondsLeft } = rate.update(job);
    speed.textContent =
      rowsPerSecond === null
        ? ''
        : `${numberFormat.format(Math.round(rowsPerSecond))} rows/s` +
          (isActive(job) && secondsLeft !== null ? ` · ${durationText(secondsLeft)} left` : '');
    if (via) {
      section.dataset.live = via;
      channel.textContent = isActive(job)
        ? via === 'stream'
          ? 'Updates live.'
          : 'Checking for updates every few seconds.'
        : '';
    }

    if (job.file && job.status === 'completed') {
      replace(
        file,
        h('dt', {}, 'File'),
        h('dd', {}, job.file.name),
        h('dt', {}, 'Size'),
        h('dd', {}, `${bytesText(job.file.sizeBytes)}, ${numberFormat.format(job.file.rowCount)} rows`),
        h('dt', {}, 'SHA-256'),
        h('dd', { class: 'hash' }, job.file.sha256),
        h('dt', {}, 'Available until'),
        h('dd', {}, job.expiresAt ? new Date(job.expiresAt).toLocaleString() : '—'),
      );
      file.hidden = false;
    } else file.hidden = true;

    if (job.status === lastStatus) return;
    lastStatus = job.status;
    context.announce(statusLine.textContent);
    replace(message);
    replace(actions);
    switch (job.status) {
      case 'queued':
      case 'running':
        actions.append(button('Cancel export', cancel));
        break;
      case 'completed':
        if (job.links.download) {
          actions.append(button('Download', () => startDownload(job), true));
          if ((sawActive || completedJustNow(job)) && firstAutomaticDownload(job.id)) startDownload(job);
        } else
          replace(
            message,
            h(
              'p',
              {},
              'The file is ready. Only an export admin (an administrator with the Import / Export Tickets permission) can download it.',
            ),
          );
        break;
      case 'failed':
        replace(message, h('p', { class: 'error' }, job.error?.message ?? 'The export failed.'));
        actions.append(button('Retry', retry, true));
        break;
      case 'cancelled':
        replace(message, h('p', {}, 'This export was cancelled; no file was kept.'));
        actions.append(button('Retry', retry));
        break;
      case 'expired':
        replace(
          message,
          h('p', {}, 'This export has expired: its file is gone. Start a new export to get the data again.'),
        );
        actions.append(
          button('New export', () => context.navigate(job.view ? `#/views/${job.view.id}` : '#/views'), true),
        );
        break;
    }
    actions.append(h('a', { href: '#/history' }, 'All exports'));
  }

  void watchJob(
    context.api,
    id,
    {
      job: (job, via) => {
        error.textContent = '';
        render(job, via);
      },
      problem: (failure: ApiError, final) => {
        if (failure.status === 401) {
          signOut();
          context.navigate('#/sign-in/expired');
          return;
        }
        error.textContent = describeError(failure);
        if (final) statusLine.textContent = 'Not available';
      },
    },
    controller.signal,
  );
  return () => controller.abort();
};
