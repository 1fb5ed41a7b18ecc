const SECOND_MS = 1000;
const HOUR_MS = 3600 * SECOND_MS;

/**
 * When deliveries are retried (issue 14): exponential backoff from 10 s, doubling up to 4 h between attempts, with
 * full jitter on the upper half (each delay lies between half and all of its step), for at most 24 h after the
 * first attempt. `scale` shrinks every figure at once (WEBHOOK_RETRY_SCALE), so tests see the whole schedule in
 * seconds.
 */
export class WebhookRetrySchedule {
  static readonly FIRST_DELAY_MS = 10 * SECOND_MS;
  static readonly MAX_DELAY_MS = 4 * HOUR_MS;
  static readonly GIVE_UP_AFTER_MS = 24 * HOUR_MS;

  constructor(private readonly scale: number) {}

  /** Before the attempt after `failedAttempts` failures (1 for the first retry); `random` in [0, 1). */
  delayMs(failedAttempts: number, random: number): number {
    const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 30);
    const step = Math.min(
      WebhookRetrySchedule.FIRST_DELAY_MS * 2 ** exponent,
      WebhookRetrySchedule.MAX_DELAY_MS,
    );
    return Math.max(1, Math.round(step * this.scale * (0.5 + random / 2)));
  }

  /** How long failures may go on before a delivery is given up and its endpoint disabled. */
  get giveUpAfterMs(): number {
    return Math.max(1, Math.round(WebhookRetrySchedule.GIVE_UP_AFTER_MS * this.scale));
  }

  /** Whether failures that began at `since` have lasted long enough to give up at `now`. */
  exhausted(since: Date, now: Date): boolean {
    return now.getTime() - since.getTime() >= this.giveUpAfterMs;
  }
}
