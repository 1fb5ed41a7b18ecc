// The admin page's static files (HTML, CSS) next to its compiled modules in dist/apps/admin, which the API serves
// at /admin. Part of `npm run build`.
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const target = join(root, 'dist', 'apps', 'admin');
mkdirSync(target, { recursive: true });
cpSync(join(root, 'apps', 'admin', 'public'), target, { recursive: true });
