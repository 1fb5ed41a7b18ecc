/**
 * `describe` when the program a suite drives is installed; otherwise `describe.skip`, after saying why on stderr
 * where everyone sees it (CI prints it too), so a skipped suite is never silent.
 */
export function describeWhen(available: boolean, missing: string, name: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${name}": ${missing} ***\n\n`);
  describe.skip(name, body);
}
