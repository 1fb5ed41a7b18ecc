import type { AppConfig } from '@app/infrastructure';

/** Where the API of this configuration answers on this machine (it listens on PORT, every interface). */
export function localApiUrl(config: AppConfig): string {
  return `http://127.0.0.1:${config.port}`;
}

/**
 * The reference page's sign-in link: the token travels in the URL fragment, which a browser never sends to a server,
 * so it lands in no access log, proxy log or Referer header. Never in the query string.
 */
export function signInLink(apiUrl: string, token: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/admin#token=${encodeURIComponent(token)}`;
}
