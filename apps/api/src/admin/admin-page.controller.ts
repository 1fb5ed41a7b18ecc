import { Controller, Get, Headers, Logger, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import type { ApiResponse } from '../http/api-request';
import { ADMIN_PAGE_DIR, type AdminAsset, loadAdminAssets } from './admin-page.assets';

/**
 * Strict: only this origin's own files, no inline script or style, no framing, no form posts elsewhere. The page
 * talks only to this API (connect-src 'self'); a download is a blob the page made, saved through a link.
 */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The reference page for the admin SPA (apps/admin): static files with no data in them, so they are public; every
 * call the page makes carries the person's token. Not part of the API, so not in the OpenAPI document.
 */
@Public()
@ApiExcludeController()
@Controller('admin')
export class AdminPageController {
  private readonly assets = loadAdminAssets();

  constructor() {
    if (!this.assets.has('index.html'))
      new Logger(AdminPageController.name).warn(
        `the admin page is not built (no ${ADMIN_PAGE_DIR}/index.html): /admin answers 404; run npm run build`,
      );
  }

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() response: ApiResponse): void {
    this.send('index.html', ifNoneMatch, response);
  }

  @Get(':file')
  asset(
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() response: ApiResponse,
  ): void {
    this.send(file, ifNoneMatch, response);
  }

  private send(name: string, ifNoneMatch: string | undefined, response: ApiResponse): void {
    const asset: AdminAsset | undefined = this.assets.get(name);
    if (!asset) throw new NotFoundException(`Cannot GET /admin/${name}`);
    response.setHeader('Content-Security-Policy', ADMIN_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('ETag', asset.etag);
    if (ifNoneMatch === asset.etag) {
      response.status(304).end();
      return;
    }
    response.setHeader('Content-Type', asset.contentType);
    response.setHeader('Content-Length', String(asset.body.length));
    response.status(200).end(asset.body);
  }
}
