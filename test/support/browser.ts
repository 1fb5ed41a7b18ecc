import { CHROMIUM_PATH } from '../../tools/shared/chromium';

export { launchChromium } from '../../tools/shared/chromium';

/** `describe` when a Chromium is there; otherwise `describe.skip`, after saying so where everyone sees it. */
export function describeInBrowser(name: string, body: () => void): void {
  if (CHROMIUM_PATH) {
    describe(name, body);
    return;
  }
  process.stderr.write(
    `\n*** browser specs SKIPPED (${name}): no Chromium at /usr/bin/chromium. ` +
      'On Debian: `apt-get install chromium` (scripts/services.sh --test-tools does it as root). ***\n\n',
  );
  describe.skip(name, body);
}
