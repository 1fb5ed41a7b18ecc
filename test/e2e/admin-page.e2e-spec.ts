import request from 'supertest';
import { startApi, type StartedApi } from '../support/api';

/**
 * GET /admin serves the built page (npm run build puts it in dist/apps/admin) as static files: public, under a
 * strict Content-Security-Policy, and nothing outside that folder. What the page does is test/browser's job.
 */
describe('GET /admin (the reference page, static)', () => {
  let api: StartedApi;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves the page without a token, with a strict CSP and no inline script', async () => {
    const response = await request(api.baseUrl).get('/admin');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.text).toContain('<script type="module" src="/admin/main.js"></script>');
    expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(response.text).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });

  it('serves every module the page imports, as JavaScript, and answers 304 to a matching If-None-Match', async () => {
    const pending = ['main.js'];
    const served = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (served.has(name)) continue;
      const response = await request(api.baseUrl).get(`/admin/${name}`);
      expect({ name, status: response.status, type: response.headers['content-type'] }).toEqual({
        name,
        status: 200,
        type: 'text/javascript; charset=utf-8',
      });
      served.add(name);
      for (const [, imported] of response.text.matchAll(/from '\.\/([\w-]+\.js)'/g)) pending.push(imported);
    }
    expect(served.size).toBeGreaterThan(5);
    const css = await request(api.baseUrl).get('/admin/admin.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await request(api.baseUrl).get('/admin/admin.css').set('If-None-Match', css.headers.etag);
    expect(again.status).toBe(304);
  });

  it('answers 404 problem+json for anything else under /admin, including paths that try to leave it', async () => {
    for (const path of [
      '/admin/nope.js',
      '/admin/..%2Fpackage.json',
      '/admin/%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      const response = await request(api.baseUrl).get(path);
      expect({ path, status: response.status, code: (response.body as { code?: string }).code }).toEqual({
        path,
        status: 404,
        code: 'ROUTE.NOT_FOUND',
      });
    }
  });
});
