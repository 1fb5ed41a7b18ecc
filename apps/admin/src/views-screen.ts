import type { ExportSource, Page, TicketView } from './api.js';
import { cellText, columnLabels } from './cells.js';
import type { Screen } from './context.js';
import { h, replace } from './dom.js';
import { openExportDialog } from './export-dialog.js';
import { describeError } from './messages.js';

const PAGE_SIZE = 25;

async function allViews(context: Parameters<Screen>[0]): Promise<TicketView[]> {
  const views: TicketView[] = [];
  let cursor: string | null | undefined = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: Page<TicketView> = await context.api.json(`/ticket-views?limit=100${query}`);
    views.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return views;
}

/** The tenant's views; the selected one's first page of tickets with its columns; Load more by cursor; Export. */
export const viewsScreen: Screen = (context, viewId) => {
  const error = h('p', { class: 'error', role: 'alert' });
  const body = h('div', { 'aria-busy': 'true' }, 'Loading views…');
  replace(context.main, h('h1', {}, 'Ticket views'), error, body);
  let alive = true;

  void Promise.all([allViews(context), context.sources()])
    .then(([views, sources]) => {
      if (!alive) return;
      // Listed only when the caller may export tickets; the list still shows without it (keys as headers).
      const source = sources.find((s) => s.key === 'tickets') ?? null;
      if (views.length === 0) {
        replace(body, h('p', {}, 'There are no views you may use.'));
        return;
      }
      const selected = views.find((v) => v.id === viewId) ?? views[0];
      renderView(views, selected, source);
    })
    .catch((failure: unknown) => {
      body.removeAttribute('aria-busy');
      replace(body);
      error.textContent = describeError(failure);
    });

  function renderView(views: TicketView[], view: TicketView, source: ExportSource | null): void {
    const picker = h(
      'select',
      { id: 'view-picker', name: 'view' },
      ...views.map((v) => h('option', { value: v.id, selected: v.id === view.id }, v.name)),
    );
    picker.addEventListener('change', () => context.navigate(`#/views/${picker.value}`));
    // Without the tickets source (GET /export-sources lists what the caller may export) the page says why, instead
    // of offering a dialog whose request could only be refused.
    const exportButton =
      source === null
        ? h('p', { class: 'hint' }, 'Exporting needs the Import / Export Tickets permission.')
        : h('button', { type: 'button', class: 'primary' }, 'Export this view…');
    if (source !== null)
      exportButton.addEventListener('click', () => openExportDialog(context, view, source, exportButton));

    const labels =
      source === null ? new Map<string, { label: string; type: string }>() : columnLabels(source);
    const rows = h('tbody');
    const count = h('p', { class: 'hint', 'aria-live': 'polite' });
    const more = h('button', { type: 'button', hidden: true }, 'Load more');
    const table = h(
      'table',
      {},
      h('caption', {}, `Tickets of “${view.name}”`),
      h(
        'thead',
        {},
        h('tr', {}, ...view.columns.map((key) => h('th', { scope: 'col' }, labels.get(key)?.label ?? key))),
      ),
      rows,
    );
    let cursor: string | null = null;
    let shown = 0;

    const load = (): void => {
      more.disabled = true;
      const query = `limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      context.api
        .json<Page<Record<string, unknown>>>(`/ticket-views/${view.id}/tickets?${query}`)
        .then((page) => {
          if (!alive) return;
          for (const item of page.items)
            rows.appendChild(
              h(
                'tr',
                {},
                ...view.columns.map((key) => h('td', {}, cellText(item[key], labels.get(key)?.type))),
              ),
            );
          shown += page.items.length;
          cursor = page.nextCursor ?? null;
          more.hidden = cursor === null;
          more.disabled = false;
          count.textContent =
            shown === 0
              ? 'No tickets match this view.'
              : `${shown} tickets shown${cursor ? '' : ' (all of them)'}.`;
        })
        .catch((failure: unknown) => {
          more.disabled = false;
          error.textContent = describeError(failure);
        });
    };
    more.addEventListener('click', load);

    body.removeAttribute('aria-busy');
    replace(
      body,
      h('div', { class: 'toolbar' }, h('label', { for: 'view-picker' }, 'View'), picker, exportButton),
      h('div', { class: 'table-scroll', role: 'region', 'aria-label': 'Tickets', tabindex: '0' }, table),
      count,
      more,
    );
    load();
  }

  return () => {
    alive = false;
    document.querySelectorAll('dialog').forEach((d) => d.remove());
  };
};
