import { CHROMIUM_PATH } from '../../tools/shared/chromium';
import { describeWhen } from './describe-when';

export { launchChromium } from '../../tools/shared/chromium';

/** The browser specs' `describe`: skipped, saying so, where no Chromium is installed. */
export function describeInBrowser(name: string, body: () => void): void {
  describeWhen(
    CHROMIUM_PATH !== null,
    'browser specs need Chromium at /usr/bin/chromium. On Debian: `apt-get install chromium` ' +
      '(scripts/services.sh --test-tools does it as root)',
    name,
    body,
  );
}
