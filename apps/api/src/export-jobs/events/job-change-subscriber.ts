import { Logger } from '@nestjs/common';
import { RedisJobChangeSubscriber } from '@app/infrastructure';

/** The API process's one subscription to job changes (a DI token of its own, built by ApiModule). */
export class JobChangeSubscriber extends RedisJobChangeSubscriber {
  static fromUrl(redisUrl: string): JobChangeSubscriber {
    return new JobChangeSubscriber(redisUrl, new Logger('JobChangeSubscriber'));
  }
}
