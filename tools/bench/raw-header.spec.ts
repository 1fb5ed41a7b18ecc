import { rawHeader } from './raw-header';

describe('rawHeader', () => {
  it('finds a header whatever its case, the first of repeated values, nothing when absent', () => {
    expect(rawHeader({ ETag: 'W/"3-abc"' }, 'etag')).toBe('W/"3-abc"');
    expect(rawHeader({ etag: 'W/"4-def"' }, 'etag')).toBe('W/"4-def"');
    expect(rawHeader({ 'Set-Cookie': ['a=1', 'b=2'] }, 'set-cookie')).toBe('a=1');
    expect(rawHeader({ 'Content-Type': 'text/plain' }, 'etag')).toBeUndefined();
    expect(rawHeader(undefined, 'etag')).toBeUndefined();
  });
});
