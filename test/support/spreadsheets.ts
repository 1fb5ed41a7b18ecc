/** Reading an XLSX export back with programs that did not write it: exceljs's reader, and LibreOffice headless. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

export interface SheetRead {
  readonly name: string;
  /** Every row, the header first; a row's cells by column (undefined where no cell was written). */
  readonly rows: unknown[][];
  readonly sheet: ExcelJS.Worksheet;
}

/** The sheets of an XLSX file as exceljs reads them (numbers as numbers, date cells as Dates, text as strings). */
export async function readXlsx(bytes: Buffer): Promise<SheetRead[]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook.worksheets.map((sheet) => {
    const rows: unknown[][] = [];
    sheet.eachRow({ includeEmpty: true }, (row, n) => {
      rows[n - 1] = (row.values as unknown[]).slice(1);
    });
    return { name: sheet.name, rows, sheet };
  });
}

/** ECMA-376's ST_Xstring escapes (`_xHHHH_`) undone, as a spreadsheet program does (exceljs leaves them written). */
export const decodeXstring = (text: string): string =>
  text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Every record of a CSV file as strings (the rows may differ in length: a sheet's trailing empty cells). */
function readRecords(bytes: Buffer): string[][] {
  const records: unknown = parseCsv(bytes, { relax_column_count: true });
  if (!Array.isArray(records)) throw new Error('not CSV records');
  return records as string[][];
}

/** LibreOffice's command, where it is installed (scripts/services.sh installs it on Debian as root). */
export function findSoffice(): string | null {
  return (
    ['/usr/bin/soffice', '/usr/local/bin/soffice', '/opt/libreoffice/program/soffice'].find(existsSync) ??
    null
  );
}

/**
 * The file converted by LibreOffice headless to CSV, one CSV a sheet (in sheet order), each parsed. The profile is
 * a fresh temporary one, so a LibreOffice running elsewhere on the machine is not disturbed.
 */
export async function libreOfficeCsv(
  soffice: string,
  bytes: Buffer,
  timeoutMs = 120_000,
): Promise<{ sheets: { name: string; records: string[][] }[]; ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'xlsx-lo-'));
  try {
    const file = join(dir, 'export.xlsx');
    await writeFile(file, bytes);
    // Separator 44 (,), quote 34 ("), UTF-8 (76), from line 1; "-1" as the 12th token: every sheet to its own file.
    const filter = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1';
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        soffice,
        [
          `-env:UserInstallation=file://${dir}/profile`,
          '--headless',
          '--convert-to',
          filter,
          '--outdir',
          dir,
          file,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`soffice exited with ${code}: ${output}`));
      });
    });
    const ms = Date.now() - started;
    // LibreOffice names each file export-<sheet name>.csv; the order of the sheets is the workbook's.
    const names = (await readdir(dir)).filter((f) => f.endsWith('.csv'));
    const sheets = await Promise.all(
      names.map(async (f) => ({
        name: f.slice('export-'.length, -'.csv'.length),
        records: readRecords(await readFile(join(dir, f))),
      })),
    );
    const order = (name: string): number => Number(/ \((\d+)\)$/.exec(name)?.[1] ?? 1);
    return { sheets: sheets.sort((a, b) => order(a.name) - order(b.name)), ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
