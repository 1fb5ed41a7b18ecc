import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium` package; `scripts/services.sh --test-tools` installs it as root).
 * Nothing here ever downloads a browser build.
 */
export const CHROMIUM_PATH: string | null =
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path)) ?? null;

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('no Chromium at /usr/bin/chromium (Debian: apt-get install chromium)');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // As root (CI here) Chromium refuses its sandbox; the pages it opens are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
