import type { ExportJob, JobStatus, Page } from './api.js';
import type { Screen } from './context.js';
import { h, numberFormat, replace } from './dom.js';
import { describeError } from './messages.js';

const STATUSES: JobStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'expired'];
const PAGE_SIZE = 20;

/** GET /export-jobs: the caller's jobs (all of the tenant's for an export admin), newest first, by status, paged. */
export const historyScreen: Screen = (context) => {
  let alive = true;
  const filter = h(
    'select',
    { id: 'status-filter', name: 'status' },
    h('option', { value: '' }, 'All'),
    ...STATUSES.map((status) => h('option', { value: status }, status[0].toUpperCase() + status.slice(1))),
  );
  const error = h('p', { class: 'error', role: 'alert' });
  const rows = h('tbody');
  const empty = h('p', { class: 'hint', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let cursor: string | null = null;
  let request = 0;

  const load = (fresh: boolean): void => {
    if (fresh) {
      cursor = null;
      replace(rows);
    }
    const mine = ++request;
    more.disabled = true;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter.value) query.set('status', filter.value);
    if (cursor) query.set('cursor', cursor);
    context.api
      .json<Page<ExportJob>>(`/export-jobs?${query.toString()}`)
      .then((page) => {
        if (!alive || mine !== request) return;
        error.textContent = '';
        for (const job of page.items) {
          rows.appendChild(
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/jobs/${job.id}` }, new Date(job.requestedAt).toLocaleString())),
              h('td', {}, job.view?.name ?? 'All tickets'),
              h('td', {}, job.format.toUpperCase()),
              h('td', { 'data-status': job.status }, job.status),
              h(
                'td',
                { class: 'number' },
                numberFormat.format(job.file?.rowCount ?? job.progress.rowsExported),
              ),
              h('td', {}, job.requestedBy.email),
            ),
          );
        }
        cursor = page.nextCursor ?? null;
        more.hidden = cursor === null;
        more.disabled = false;
        empty.textContent = rows.childElementCount === 0 ? 'No exports to show.' : '';
      })
      .catch((failure: unknown) => {
        more.disabled = false;
        error.textContent = describeError(failure);
      });
  };
  filter.addEventListener('change', () => load(true));
  more.addEventListener('click', () => load(false));

  replace(
    context.main,
    h('h1', {}, 'Export history'),
    h('div', { class: 'toolbar' }, h('label', { for: 'status-filter' }, 'Status'), filter),
    error,
    h(
      'div',
      { class: 'table-scroll', role: 'region', 'aria-label': 'Exports', tabindex: '0' },
      h(
        'table',
        {},
        h('caption', {}, 'Exports, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Requested', 'View', 'Format', 'Status', 'Rows', 'Requested by'].map((label) =>
              h('th', { scope: 'col' }, label),
            ),
          ),
        ),
        rows,
      ),
    ),
    empty,
    more,
  );
  load(true);
  return () => {
    alive = false;
  };
};
