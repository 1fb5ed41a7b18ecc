import { guardFormula } from '@app/domain';
import type { Pool } from 'pg';
import { testPool } from '../../../../test/support/database';
import nasty from '../seed/nasty-strings.json';
import { formulaGuard } from './export-projection';

/** Strings that start with each trigger, with near misses, and the nasty strings the seed mixes into tickets. */
const STRINGS = [
  ...nasty.strings,
  ...nasty.strings.flatMap((s) => ['=', '+', '-', '@', '\t', '\r', "'", ' ', '\n', '＝'].map((c) => c + s)),
  '',
  '=',
  '\t',
  '\r',
  "'",
];

describe('formula guard: the SQL of the CSV projection and the domain rule', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(() => pool.end());

  it('agree on every nasty string and on each trigger in front of one', async () => {
    const { rows } = await pool.query<{ input: string; guarded: string }>(
      `SELECT input, ${formulaGuard('input')} AS guarded FROM unnest($1::text[]) WITH ORDINALITY AS t(input, n) ORDER BY n`,
      [STRINGS],
    );
    expect(rows.map((r) => r.input)).toEqual(STRINGS);
    expect(rows.map((r) => r.guarded)).toEqual(STRINGS.map(guardFormula));
    expect(rows.filter((r) => r.guarded !== r.input).length).toBeGreaterThan(6 * nasty.strings.length);
  });

  it('leaves NULL as NULL (an empty cell)', async () => {
    const { rows } = await pool.query<{ guarded: string | null }>(
      `SELECT ${formulaGuard('input')} AS guarded FROM (SELECT NULL::text AS input) AS t`,
    );
    expect(rows).toEqual([{ guarded: null }]);
  });
});
