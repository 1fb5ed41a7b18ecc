import { WebhookDestinationGuard } from '@app/application';
import { type DestinationPolicy, resolveDestination } from './destination-addresses';

/** Registration's check: the same scheme, resolution and address rules as every delivery's. */
export class DnsWebhookDestinationGuard extends WebhookDestinationGuard {
  constructor(private readonly policy: DestinationPolicy) {
    super();
  }

  async refusal(url: string): Promise<string | null> {
    const destination = await resolveDestination(url, this.policy);
    return 'refusal' in destination ? destination.refusal : null;
  }
}
