import type { ExportJob, ExportSource, TicketView } from './api.js';
import type { AppContext } from './context.js';
import { h, replace, uid } from './dom.js';
import { describeError } from './messages.js';

const FILE_NAME = '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$';

interface ColumnChoice {
  key: string;
  label: string;
  checked: boolean;
}

/** The view's columns first, in its order and checked; then every other column, unchecked. */
function defaultChoices(view: TicketView, source: ExportSource): ColumnChoice[] {
  const labels = new Map(source.columns.map((c) => [c.key, c.label]));
  const inView = view.columns.filter((key) => labels.has(key));
  return [
    ...inView.map((key) => ({ key, label: labels.get(key) ?? key, checked: true })),
    ...source.columns
      .filter((c) => !inView.includes(c.key))
      .map((c) => ({ key: c.key, label: c.label, checked: false })),
  ];
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Format, columns (pick, reorder, reset), time zone and file name, then POST /export-jobs. The Idempotency-Key is
 * made when the dialog opens and renewed whenever the form changes: a double click sends one request body under
 * one key, so it makes one job.
 */
export function openExportDialog(
  context: AppContext,
  view: TicketView,
  source: ExportSource,
  opener: HTMLElement,
): void {
  let idempotencyKey = crypto.randomUUID();
  let choices = defaultChoices(view, source);
  const renew = (): void => {
    idempotencyKey = crypto.randomUUID();
  };

  const titleId = uid('export-title');
  const error = h('p', { class: 'error', role: 'alert' });
  const formats = h(
    'fieldset',
    {},
    h('legend', {}, 'Format'),
    ...source.formats.map((format, index) => {
      const id = uid('format');
      return h(
        'span',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'format', id, value: format, checked: index === 0 }),
        h('label', { for: id }, format.toUpperCase()),
      );
    }),
  );
  const columnList = h('ol', { class: 'columns' });
  const renderColumns = (focusKey?: string, focusDirection?: 'up' | 'down'): void => {
    replace(
      columnList,
      ...choices.map((choice, index) => {
        const id = `column-${choice.key}`;
        const box = h('input', { type: 'checkbox', id, value: choice.key, checked: choice.checked });
        box.addEventListener('change', () => {
          choice.checked = box.checked;
          renew();
        });
        const move = (by: -1 | 1, direction: 'up' | 'down'): HTMLButtonElement => {
          const button = h(
            'button',
            {
              type: 'button',
              class: 'icon',
              'aria-label': `Move ${choice.label} ${direction}`,
              disabled: index + by < 0 || index + by >= choices.length,
            },
            direction === 'up' ? '↑' : '↓',
          );
          button.addEventListener('click', () => {
            const next = [...choices];
            [next[index], next[index + by]] = [next[index + by], next[index]];
            choices = next;
            renew();
            renderColumns(choice.key, direction);
          });
          return button;
        };
        return h(
          'li',
          { 'data-key': choice.key },
          box,
          h('label', { for: id }, choice.label),
          move(-1, 'up'),
          move(1, 'down'),
        );
      }),
    );
    if (focusKey && focusDirection) {
      const buttons = columnList.querySelectorAll<HTMLButtonElement>(`li[data-key="${focusKey}"] button`);
      const target = focusDirection === 'up' ? buttons[0] : buttons[1];
      (target.disabled ? (focusDirection === 'up' ? buttons[1] : buttons[0]) : target).focus();
    }
  };
  renderColumns();
  const reset = h('button', { type: 'button' }, 'Reset columns to the view’s');
  reset.addEventListener('click', () => {
    choices = defaultChoices(view, source);
    renew();
    renderColumns();
  });

  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const timezone = h('input', {
    id: 'export-timezone',
    name: 'timezone',
    list: 'time-zones',
    value: browserTimeZone(),
    required: true,
  });
  const fileName = h('input', {
    id: 'export-file-name',
    name: 'fileName',
    pattern: FILE_NAME,
    maxlength: 100,
    'aria-describedby': 'file-name-hint',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start export');
  const close = h('button', { type: 'button' }, 'Close');

  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: titleId }, `Export “${view.name}”`),
    formats,
    h(
      'fieldset',
      {},
      h('legend', {}, 'Columns (checked ones are exported, in this order)'),
      columnList,
      reset,
    ),
    h('label', { for: 'export-timezone' }, 'Time zone of dates'),
    timezone,
    h('datalist', { id: 'time-zones' }, ...zones.map((zone) => h('option', { value: zone }))),
    h('label', { for: 'export-file-name' }, 'File name (optional)'),
    fileName,
    h(
      'p',
      { id: 'file-name-hint', class: 'hint' },
      'Letters, digits, spaces, dots, dashes and underscores; the date and extension are added.',
    ),
    error,
    h('div', { class: 'actions' }, submit, close),
  );
  form.addEventListener('input', renew);
  const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener.focus();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const columns = choices.filter((c) => c.checked).map((c) => c.key);
    if (columns.length === 0) {
      error.textContent = 'Pick at least one column.';
      return;
    }
    if (!fileName.checkValidity()) {
      error.textContent =
        'The file name may hold letters, digits, spaces, dots, dashes and underscores, and starts with a letter or digit.';
      fileName.focus();
      return;
    }
    const format = form.querySelector<HTMLInputElement>('input[name="format"]:checked')?.value ?? 'csv';
    submit.disabled = true;
    error.textContent = '';
    context.announce('Starting the export…');
    context.api
      .json<ExportJob>('/export-jobs', {
        method: 'POST',
        headers: { 'Idempotency-Key': idempotencyKey },
        body: {
          viewId: view.id,
          format,
          columns,
          timezone: timezone.value.trim() || 'UTC',
          ...(fileName.value.trim() ? { fileName: fileName.value.trim() } : {}),
        },
      })
      .then((job) => {
        dialog.close();
        context.navigate(`#/jobs/${job.id}`);
      })
      .catch((failure: unknown) => {
        submit.disabled = false;
        error.textContent = describeError(failure);
        context.announce('');
      });
  });

  document.body.appendChild(dialog);
  dialog.showModal();
}
