import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUILT_ASSETS = join(ROOT, 'dist', 'apps', 'api', 'src', 'admin', 'admin-page.assets.js');

/** The built API (as the image runs it) finds the built page: `npm run build` makes both. */
describe('the admin page in the build', () => {
  it('is found by the built API next to it, with its HTML, CSS and modules', async () => {
    expect(existsSync(BUILT_ASSETS)).toBe(true);
    const built = (await import(BUILT_ASSETS)) as typeof import('../../apps/api/src/admin/admin-page.assets');
    expect(built.ADMIN_PAGE_DIR).toBe(join(ROOT, 'dist', 'apps', 'admin'));
    const assets = built.loadAdminAssets();
    expect([...assets.keys()]).toEqual(
      expect.arrayContaining(['index.html', 'admin.css', 'main.js', 'api.js']),
    );
    expect([...assets.keys()].every((name) => /\.(html|css|js)$/.test(name))).toBe(true);
  });

  it('ships every module of apps/admin/src and none of its specs (apps/admin/tsconfig.build.json leaves them out)', () => {
    const sources = readdirSync(join(ROOT, 'apps', 'admin', 'src')).filter((name) => name.endsWith('.ts'));
    expect(sources.some((name) => name.endsWith('.spec.ts'))).toBe(true);
    const modules = sources
      .filter((name) => !name.endsWith('.spec.ts'))
      .map((name) => name.replace(/\.ts$/, '.js'));
    const shipped = readdirSync(join(ROOT, 'dist', 'apps', 'admin')).filter((name) => name.endsWith('.js'));
    expect(shipped.sort()).toEqual(modules.sort());
  });
});
