import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface AdminAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Where `npm run build` puts the page (apps/admin compiled, plus its HTML and CSS): dist/apps/admin, the sibling
 * of the built API (dist/apps/api/src/admin/..), or, when the API runs from its sources under ts-jest
 * (apps/api/src/admin), the build output at the repository's root.
 */
export const ADMIN_PAGE_DIR =
  [
    join(__dirname, '..', '..', '..', 'admin'),
    join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'admin'),
  ].find((dir) => existsSync(join(dir, 'index.html'))) ?? join(__dirname, '..', '..', '..', 'admin');

/**
 * The page's files, read once at start: a few tens of KB. Only files of the known types in that one folder are
 * served, so no request path ever reaches the file system.
 */
export function loadAdminAssets(dir = ADMIN_PAGE_DIR): ReadonlyMap<string, AdminAsset> {
  const assets = new Map<string, AdminAsset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
