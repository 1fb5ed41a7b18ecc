import { DomainError } from '@app/domain';

/** Seconds a client refused a stream should wait: streams end when their jobs finish. */
const RETRY_AFTER_SECONDS = 10;

export class TooManyEventStreamsError extends DomainError {
  constructor(limit: number) {
    super(
      'EVENT_STREAM.TOO_MANY_PER_USER',
      `You have ${limit} event streams open, the most allowed; close one or poll the job instead.`,
      { limit, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
}

export class EventStreamCapacityError extends DomainError {
  constructor() {
    super(
      'EVENT_STREAM.CAPACITY_REACHED',
      'This server holds as many event streams as it can; poll the job, or try the stream again later.',
      { retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
}
