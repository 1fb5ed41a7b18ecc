import { loadConfig } from '@app/infrastructure';
import { localApiUrl, signInLink } from './sign-in-link';

describe('sign-in link', () => {
  it('carries the token in the fragment of /admin on the configured port, never in the query', () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '3917' });
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_x';

    const link = new URL(signInLink(localApiUrl(config), token));

    expect(link.origin).toBe('http://127.0.0.1:3917');
    expect(link.pathname).toBe('/admin');
    expect(link.search).toBe('');
    expect(link.hash).toBe(`#token=${token}`);
  });

  it('does not double the slash of a base URL that ends with one', () => {
    expect(signInLink('http://example.test:8080/', 't')).toBe('http://example.test:8080/admin#token=t');
  });
});
