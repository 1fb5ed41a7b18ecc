import type { Api, ExportSource } from './api.js';

/** What every screen gets: the API, the place to render, navigation and the one live region. */
export interface AppContext {
  readonly api: Api;
  readonly main: HTMLElement;
  navigate(hash: string): void;
  /** Polite announcement for screen readers (and the status line of the page). */
  announce(message: string): void;
  /** GET /export-sources, read once per page load. */
  sources(): Promise<ExportSource[]>;
}

/** A screen renders into `context.main` and may return what to do when the person leaves it. */
export type Screen = (context: AppContext, parameter: string | null) => (() => void) | void;
