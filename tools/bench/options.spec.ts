import { UsageError } from '../../apps/cli/src/cli';
import { benchOptions, PHASES } from './options';

describe('benchOptions', () => {
  it('runs every phase on 1M tickets, local and s3, csv and xlsx, without --json by default', () => {
    expect(benchOptions({})).toEqual({
      tickets: 1_000_000,
      drivers: ['local', 's3'],
      formats: ['csv', 'xlsx'],
      phases: [...PHASES],
      estimates: true,
      pollSeconds: 10,
      connections: 20,
      json: null,
    });
  });

  it('takes a subset of phases, drivers and formats, and a JSON file', () => {
    const options = benchOptions({
      tickets: '10000',
      drivers: 'azure',
      formats: 'csv',
      phases: 'polling,concurrency',
      'no-estimates': true,
      'poll-seconds': '3',
      json: 'out.json',
    });
    expect(options).toMatchObject({
      tickets: 10_000,
      drivers: ['azure'],
      formats: ['csv'],
      phases: ['polling', 'concurrency'],
      estimates: false,
      pollSeconds: 3,
      json: 'out.json',
    });
  });

  it.each([
    [{ tickets: '5' }, '--tickets'],
    [{ tickets: '1e3.5' }, '--tickets'],
    [{ drivers: 'local,gcs' }, '--drivers'],
    [{ formats: 'pdf' }, '--formats'],
    [{ phases: 'baseline' }, '--phases'],
    [{ 'poll-seconds': '0' }, '--poll-seconds'],
    [{ json: '' }, '--json'],
  ])('refuses %j with a usage error naming the flag', (values, flag) => {
    expect(() => benchOptions(values)).toThrow(UsageError);
    expect(() => benchOptions(values)).toThrow(flag);
  });
});
