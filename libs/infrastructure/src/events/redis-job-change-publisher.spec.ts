import { RedisJobChangePublisher } from './redis-job-change-publisher';

describe('RedisJobChangePublisher', () => {
  it("tells the process's own listeners of a change synchronously, even when Redis cannot take the message", () => {
    // Nothing listens on port 1: the PUBLISH fails later (logged), the local listener has heard it already.
    const publisher = new RedisJobChangePublisher('redis://127.0.0.1:1', { warn: () => undefined });
    const heard: string[] = [];
    publisher.alsoNotify({ changed: (change) => heard.push(`${change.tenantId}/${change.jobId}`) });
    try {
      publisher.publish({ tenantId: 't-1', jobId: 'j-1' });
      expect(heard).toEqual(['t-1/j-1']);
    } finally {
      publisher.close();
    }
  });
});
