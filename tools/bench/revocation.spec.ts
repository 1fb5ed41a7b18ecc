import { settledAfter } from './revocation';

const refused = (status: number): boolean => status === 403 || status === 404;

describe('settledAfter', () => {
  it('takes the first read from which on every later-sent one showed the change, by send time', () => {
    const probes = [
      { sentMs: 50, status: 404 },
      { sentMs: 0, status: 200 },
      { sentMs: 25, status: 200 },
      { sentMs: 75, status: 404 },
    ];
    expect(settledAfter(probes, refused)).toEqual({ sentMs: 50, status: 404 });
  });

  it('does not count an early refusal followed by a 200 (a cache that still answers from the old flags)', () => {
    const probes = [
      { sentMs: 0, status: 404 },
      { sentMs: 25, status: 200 },
      { sentMs: 50, status: 404 },
    ];
    expect(settledAfter(probes, refused)?.sentMs).toBe(50);
  });

  it('is null when the last read still did not show the change, or without reads', () => {
    expect(
      settledAfter(
        [
          { sentMs: 0, status: 404 },
          { sentMs: 25, status: 200 },
        ],
        refused,
      ),
    ).toBeNull();
    expect(settledAfter([], refused)).toBeNull();
  });
});
