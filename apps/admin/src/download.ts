import type { Api, ExportJob } from './api.js';

/** `filename*=UTF-8''...` first, then `filename="..."`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(disposition);
  return plain ? plain[1] : fallback;
}

/**
 * Downloads need the Authorization header, which a plain link cannot send: fetch the file as a blob and save it
 * through an object URL and a link with `download`. The blob lives in memory, so this suits the files of a
 * browser session (the README says where the limit is); the URL is revoked once the browser took the file.
 */
export async function downloadJobFile(api: Api, job: ExportJob): Promise<string> {
  const href = job.links.download;
  if (!href) throw new Error('no download link');
  const response = await api.fetch(href, { headers: { Accept: '*/*' } });
  const name = fileNameOf(response.headers.get('Content-Disposition'), job.file?.name ?? 'export');
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
