import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findTicketColumn, type TicketColumn } from '@app/domain';
import { nastyStrings } from '@app/infrastructure';
import { PdfTableEncoder } from '@app/infrastructure/sdk-adapters';

/**
 * `npm run docs:pdf-sample`: renders a PDF export page the way the worker does (PdfTableEncoder, the same fonts)
 * from made-up rows that hold every script the README claims, and converts its first page to docs/pdf-sample.png
 * with poppler's pdftoppm. The rows stand in for what Postgres would hand over; the layout code is the real one.
 */
const OUT_DIR = join(__dirname, '..', '..', 'docs');
const COLUMNS = [
  'id',
  'title',
  'status',
  'priority',
  'category',
  'contactName',
  'assigneeName',
  'creationTime',
]
  .map((key) => findTicketColumn(key))
  .filter((column): column is TicketColumn => column !== undefined);

const TITLES = [
  'Printer on floor 3 jams on every duplex job since the firmware update of last Tuesday',
  'Кириллица: не работает вход в личный кабинет',
  'Ελληνικά: η εξαγωγή αποτυγχάνει',
  'עברית: שלום, ההזמנה לא נשלחה',
  'العربية: مرحبا، الطلب لم يصل',
  '中文：票务导出失败 / 日本語：エクスポートに失敗しました',
  ...nastyStrings().filter((s) => s.length < 200),
];

function* rows(): Generator<string[]> {
  const statuses = ['open', 'pending', 'solved'];
  for (let i = 0; i < TITLES.length; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    yield [
      String(1001 + i),
      TITLES[i],
      statuses[i % 3],
      i % 4 === 0 ? 'urgent' : 'normal',
      i % 3 === 0 ? 'Billing' : 'Hardware',
      ['Ada Lovelace', 'Иван Петров', 'Σοφία Παπαδοπούλου', '李小龙', 'דנה לוי', 'مريم خالد'][i % 6],
      i % 2 === 0 ? 'Grace Hopper' : 'Alan Turing',
      `2026-11-${day} 09:${String(i % 60).padStart(2, '0')}`,
    ];
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'pdf-sample-'));
  try {
    const pdf = join(work, 'sample.pdf');
    const encoder = new PdfTableEncoder(COLUMNS, {
      viewName: 'Open tickets',
      requestedBy: 'admin@acme.test',
      snapshotAt: new Date('2026-11-30T12:00:00Z'),
      timezone: 'Europe/Paris',
      totalRows: TITLES.length,
      querySummary: 'Filters: Status is any of (open, pending) · Sort: Priority desc, Created asc',
      pageSize: 'a4',
    });
    await pipeline(Readable.from(rows()), encoder, createWriteStream(pdf));
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '110',
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      pdf,
      join(work, 'page'),
    ]);
    await rename(join(work, 'page.png'), join(OUT_DIR, 'pdf-sample.png'));
    process.stdout.write(`wrote ${join(OUT_DIR, 'pdf-sample.png')} (${TITLES.length} rows)\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`pdf-sample: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
