/**
 * Whether a webhook URL may be called: its host must resolve, and (unless the operator allows private
 * destinations) only to public addresses. Asked at registration; the sender asks the same at every delivery.
 */
export abstract class WebhookDestinationGuard {
  /** Null when the destination is acceptable, else why not (shown to the admin, names no internals). */
  abstract refusal(url: string): Promise<string | null>;
}
