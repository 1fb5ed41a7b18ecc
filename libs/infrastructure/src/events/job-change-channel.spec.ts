import { decodeJobChange, encodeJobChange } from './job-change-channel';

describe('job change messages', () => {
  it('round-trips a change', () => {
    const change = { tenantId: 't-1', jobId: 'j-1' };
    expect(decodeJobChange(encodeJobChange(change))).toEqual(change);
  });

  it.each(['', 'not json', 'null', '42', '{"tenantId":"t"}', '{"tenantId":1,"jobId":"j"}'])(
    'ignores %j',
    (message) => {
      expect(decodeJobChange(message)).toBeNull();
    },
  );
});
