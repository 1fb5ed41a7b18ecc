import { WebhookDestinationGuard } from '@app/application';
import { resolveDestination } from './destination-addresses';

/** Registration's check: the same resolution and address rules as every delivery's. */
export class DnsWebhookDestinationGuard extends WebhookDestinationGuard {
  constructor(private readonly allowPrivate: boolean) {
    super();
  }

  async refusal(url: string): Promise<string | null> {
    const destination = await resolveDestination(url, this.allowPrivate);
    return 'refusal' in destination ? destination.refusal : null;
  }
}
