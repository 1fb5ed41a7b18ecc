import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium` package; `scripts/services.sh --browser` installs it as root), or
 * CHROMIUM_PATH. Nothing here ever downloads a browser build.
 */
export const CHROMIUM_PATH: string | null =
  [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (path): path is string => path !== undefined && path !== '' && existsSync(path),
  ) ?? null;

/** `describe` when a Chromium is there; otherwise `describe.skip`, after saying so where everyone sees it. */
export function describeInBrowser(name: string, body: () => void): void {
  if (CHROMIUM_PATH) {
    describe(name, body);
    return;
  }
  process.stderr.write(
    `\n*** browser specs SKIPPED (${name}): no Chromium at /usr/bin/chromium or CHROMIUM_PATH. ` +
      'On Debian/Ubuntu: `apt-get install chromium` (scripts/services.sh --browser does it as root). ***\n\n',
  );
  describe.skip(name, body);
}

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('no Chromium');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // As root (CI here) Chromium refuses its sandbox; the page under test is our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
