/**
 * The characters that make a spreadsheet run a text cell as a formula when they come first (CONTRACT §6):
 * `=`, `+`, `-`, `@`, tab and carriage return.
 */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** The apostrophe a guarded cell starts with: spreadsheets show the text as it is instead of running it. */
export const FORMULA_GUARD_PREFIX = "'";

/**
 * A text cell as a CSV file carries it: prefixed with an apostrophe when it starts like a formula, unchanged
 * otherwise. For CSV, Postgres applies this rule while it writes the rows (the export projection builds its SQL
 * from FORMULA_TRIGGERS); a spec runs both on the same strings.
 */
export function guardFormula(text: string): string {
  return FORMULA_TRIGGERS.includes(text.charAt(0)) ? FORMULA_GUARD_PREFIX + text : text;
}
