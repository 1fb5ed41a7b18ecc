import { Clock } from '@app/application';

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
