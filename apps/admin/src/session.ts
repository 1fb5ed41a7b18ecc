/**
 * The access token lives in sessionStorage: it survives a reload, not the tab. A sign-in link carries it in the
 * URL fragment (`/admin#token=...`), which browsers never send to a server; the page takes it and removes it from
 * the address bar and the history entry at once.
 */
const TOKEN_KEY = 'export-admin.token';

export function takeTokenFromFragment(): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}

export const currentToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);

export function signIn(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim().replace(/^Bearer\s+/i, ''));
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The `exp` claim of the token, to say when the session ends (the server decides; this is only shown). */
export function tokenExpiry(token: string): Date | null {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload)) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}

/** A job's file downloads automatically once per tab: the mark is set before the download starts. */
export function firstAutomaticDownload(jobId: string): boolean {
  const key = `export-admin.downloaded.${jobId}`;
  if (sessionStorage.getItem(key)) return false;
  sessionStorage.setItem(key, '1');
  return true;
}
