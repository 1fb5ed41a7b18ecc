import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WebhookRetrySchedule } from '@app/domain';
import { Clock } from '../../../ports/clock';
import {
  type AttemptResult,
  type WebhookDeliveryAttempt,
  WebhookDeliveryStore,
  WebhookSender,
} from '../../../ports/webhook-delivery';
import { WebhookSettings } from '../../../ports/webhook-settings';
import { DeliverWebhookCommand, type DeliverWebhookOutcome } from './deliver-webhook.command';

/** Longer than the sender's 10 s timeout: no second attempt of the same delivery starts while one is in flight. */
export const DELIVERY_LEASE_MS = 30_000;

const SKIPPED = { result: 'skipped' } as const;
const GIVEN_UP = { result: 'given-up' } as const;

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/**
 * Sends one delivery and records what happened. A 410 disables the endpoint at once; other failures are retried
 * on the schedule until the delivery has failed for the schedule's whole window (24 h from its first failure), when
 * it is given up. An endpoint whose deliveries have all failed for that long (no success since the first of those
 * failures) is disabled. Both disablings are audited.
 */
@CommandHandler(DeliverWebhookCommand)
export class DeliverWebhookHandler implements ICommandHandler<DeliverWebhookCommand> {
  private readonly schedule: WebhookRetrySchedule;
  /** The jitter's source, in [0, 1); a spec may fix it. */
  random: () => number = Math.random;

  constructor(
    private readonly deliveries: WebhookDeliveryStore,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    settings: WebhookSettings,
  ) {
    this.schedule = new WebhookRetrySchedule(settings.retryScale);
  }

  async execute({ deliveryId }: DeliverWebhookCommand): Promise<DeliverWebhookOutcome> {
    const attempt = await this.deliveries.beginAttempt(deliveryId, this.clock.now(), DELIVERY_LEASE_MS);
    if (attempt === 'endpoint-disabled') {
      await this.deliveries.cancel(deliveryId, 'The endpoint was disabled.');
      return SKIPPED;
    }
    if (attempt === 'not-pending') return SKIPPED;
    const sent = await this.sender.send({
      url: attempt.url,
      messageId: `msg_${attempt.id}`,
      timestamp: this.clock.now(),
      body: attempt.body,
      secrets: attempt.secrets,
    });
    const result: AttemptResult = {
      at: this.clock.now(),
      responseCode: sent.outcome === 'responded' ? sent.status : null,
      error:
        sent.outcome === 'responded'
          ? isSuccess(sent.status)
            ? null
            : `The endpoint answered ${sent.status}.`
          : sent.error,
      durationMs: sent.outcome === 'refused' ? null : sent.durationMs,
    };
    if (sent.outcome === 'responded' && isSuccess(sent.status)) {
      await this.deliveries.recordSuccess(attempt, result);
      return { result: 'delivered' };
    }
    if (sent.outcome === 'responded' && sent.status === 410) {
      await this.deliveries.recordGiveUp(attempt, result, this.disable(attempt, 'gone'));
      return GIVEN_UP;
    }
    return this.failed(attempt, result);
  }

  private async failed(
    attempt: WebhookDeliveryAttempt,
    result: AttemptResult,
  ): Promise<DeliverWebhookOutcome> {
    const firstFailedAt = attempt.firstFailedAt ?? result.at;
    const failingSince = attempt.endpointFailingSince ?? result.at;
    if (this.schedule.exhausted(firstFailedAt, result.at)) {
      // The endpoint had no success since this delivery first failed: it has failed for the whole window too.
      const failedThroughout = failingSince.getTime() <= firstFailedAt.getTime();
      await this.deliveries.recordGiveUp(
        attempt,
        result,
        failedThroughout ? this.disable(attempt, 'failing') : null,
      );
      return GIVEN_UP;
    }
    if (this.schedule.exhausted(failingSince, result.at)) {
      await this.deliveries.recordGiveUp(attempt, result, this.disable(attempt, 'failing'));
      return GIVEN_UP;
    }
    const failedAttempts = attempt.attemptsBefore + 1;
    const nextAttemptAt = new Date(
      result.at.getTime() + this.schedule.delayMs(failedAttempts, this.random()),
    );
    await this.deliveries.recordRetry(attempt, result, nextAttemptAt);
    return { result: 'retry', nextAttemptAt };
  }

  private disable(attempt: WebhookDeliveryAttempt, reason: 'gone' | 'failing') {
    return {
      reason,
      audit: {
        tenantId: attempt.tenantId,
        actorId: null,
        action: 'webhook.disabled' as const,
        jobId: null,
        details: { endpointId: attempt.endpointId, reason, deliveryId: attempt.id },
      },
    };
  }
}
