/** How the API's live event streams behave; provided by ApiModule from the configuration (and tests). */
export abstract class EventStreamSettings {
  /** Open streams one user may hold in this process (EVENTS_MAX_STREAMS_PER_USER). */
  abstract readonly maxPerUser: number;
  /** Open streams of this process (EVENTS_MAX_STREAMS). */
  abstract readonly maxTotal: number;
  /** A `: heartbeat` comment this often keeps proxies and the idle timeout from closing a quiet stream. */
  abstract readonly heartbeatMs: number;
  /** Each watched job is re-read this often even without a change message: a lost publish only delays an event. */
  abstract readonly recheckMs: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_RECHECK_MS = 10_000;
