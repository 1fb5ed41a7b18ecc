import { Api, type ExportSource } from './api.js';
import type { AppContext, Screen } from './context.js';
import { replace } from './dom.js';
import { historyScreen } from './history-screen.js';
import { currentToken, signOut, takeTokenFromFragment } from './session.js';
import { signInScreen } from './sign-in-screen.js';
import { statusScreen } from './status-screen.js';
import { viewsScreen } from './views-screen.js';

/**
 * The reference page: a hash router over five screens. Routes: #/views[/<viewId>], #/jobs/<jobId>, #/history,
 * #/sign-in. A sign-in link (`/admin#token=...`) is read first, before any route.
 */
const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;

let leave: (() => void) | void;
let sourcesOnce: Promise<ExportSource[]> | null = null;

function endSession(): void {
  signOut();
  sourcesOnce = null;
  if (location.hash !== '#/sign-in/expired') location.hash = '#/sign-in/expired';
}

const api = new Api(currentToken, endSession);

const context: AppContext = {
  api,
  main,
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  announce(message) {
    live.textContent = message;
  },
  sources() {
    sourcesOnce ??= api.json<{ items: ExportSource[] }>('/export-sources').then((page) => page.items);
    sourcesOnce.catch(() => (sourcesOnce = null));
    return sourcesOnce;
  },
};

const routes: [RegExp, Screen][] = [
  [/^#\/sign-in(?:\/(expired))?$/, signInScreen],
  [/^#\/views(?:\/([\w-]+))?$/, viewsScreen],
  [/^#\/jobs\/([\w-]+)$/, statusScreen],
  [/^#\/history$/, historyScreen],
];

function route(): void {
  leave?.();
  leave = undefined;
  const signedIn = currentToken() !== null;
  nav.hidden = !signedIn;
  const hash = location.hash || '#/views';
  if (!signedIn && !hash.startsWith('#/sign-in')) {
    location.hash = '#/sign-in';
    return;
  }
  for (const [pattern, screen] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    replace(main);
    for (const link of nav.querySelectorAll('a')) {
      if (hash.startsWith(link.getAttribute('href') ?? '-')) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    leave = screen(context, match[1] ?? null);
    main.focus({ preventScroll: true });
    return;
  }
  location.hash = '#/views';
}

signOutButton.addEventListener('click', () => {
  signOut();
  sourcesOnce = null;
  location.hash = '#/sign-in';
});
takeTokenFromFragment();
window.addEventListener('hashchange', route);
route();
