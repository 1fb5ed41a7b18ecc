import { percentile } from './stats';

describe('percentile', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];

  it('takes the nearest rank of a sorted copy, leaving the input as it was', () => {
    expect(percentile(ten, 50)).toBe(5);
    expect(percentile(ten, 90)).toBe(9);
    expect(percentile(ten, 99)).toBe(10);
    expect(percentile(ten, 100)).toBe(10);
    expect(percentile(ten, 1)).toBe(1);
    expect(ten[0]).toBe(10);
  });

  it('gives the one value of a single sample and NaN for none', () => {
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses a p outside (0, 100]', () => {
    expect(() => percentile(ten, 0)).toThrow(RangeError);
    expect(() => percentile(ten, 101)).toThrow(RangeError);
  });
});
