/**
 * What a file must hold: the list query's rows, formatted as CONTRACT §6 says, computed here independently of the
 * engine's SQL projection.
 */
import { TicketQueryBuilder } from '@app/infrastructure';
import { type ExportJob, findTicketColumn, type TicketColumn, ticketQueryOf } from '@app/domain';
import type { Pool } from 'pg';

/** A row of the list query: column keys to typed values (id as a string, dates as Date, tags as string[]). */
export type ListRow = Readonly<Record<string, unknown>>;

/**
 * The rows the user sees for the job's query, in order: `TicketQueryBuilder.select()` unpaged, with the export's
 * context (me = the requester, cutoff = the request time).
 */
export async function listRows(pool: Pool, job: ExportJob): Promise<ListRow[]> {
  const s = job.toSnapshot();
  const builder = new TicketQueryBuilder(ticketQueryOf(s.query), {
    tenantId: s.tenantId,
    me: s.requestedById,
    now: s.requestedAt,
    timezone: s.query.timezone,
    cutoff: s.requestedAt,
  });
  const { text, values } = builder.select();
  const { rows } = await pool.query<ListRow>(text, values);
  return rows;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `2026-06-01T17:30:05+05:30`: the instant in `timeZone`, whole seconds (fractions dropped), with its offset. */
export function isoInZone(date: Date, timeZone: string): string {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(whole)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offset = (local - whole.getTime()) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** CONTRACT §6: a text cell a spreadsheet would run as a formula gets a leading apostrophe. */
export function formulaGuarded(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const columnsOf = (job: ExportJob): TicketColumn[] =>
  job.toSnapshot().query.columns.map((key) => {
    const column = findTicketColumn(key);
    if (!column) throw new Error(`unknown column ${key}`);
    return column;
  });

/** One CSV record as the contract describes it: labels, dates with offset, tags joined with ', ', guarded text. */
export function expectedCsvRecord(
  columns: readonly TicketColumn[],
  row: ListRow,
  timeZone: string,
): string[] {
  return columns.map(({ key, type }) => {
    const value = row[key];
    if (value === null || value === undefined) return '';
    switch (type) {
      case 'number':
        return typeof value === 'number' ? String(value) : (value as string);
      case 'date':
        return isoInZone(value as Date, timeZone);
      case 'tags':
        return formulaGuarded((value as string[]).join(', '));
      case 'text':
      case 'choice':
        return formulaGuarded(value as string);
    }
  });
}

/** One JSON / NDJSON object: keyed by column key, typed (id a number, tags an array, dates ISO with offset, nulls). */
export function expectedJsonObject(
  columns: readonly TicketColumn[],
  row: ListRow,
  timeZone: string,
): Record<string, unknown> {
  return Object.fromEntries(
    columns.map(({ key, type }) => {
      const value = row[key] ?? null;
      if (value === null) return [key, null];
      if (type === 'number') return [key, Number(value)];
      if (type === 'date') return [key, isoInZone(value as Date, timeZone)];
      return [key, value];
    }),
  );
}
