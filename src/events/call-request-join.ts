/**
 * The lobby's Join button was pressed. Cancelable: a page (or `<matrix-call>`) that runs its
 * own flow calls `preventDefault()` and joins itself; otherwise the lobby joins the session.
 */
export class CallRequestJoinEvent extends Event {
  /** The name typed in the lobby, if it differs from the user's current one. */
  readonly displayName: string | undefined;
  constructor(displayName: string | undefined) {
    super('call-request-join', { bubbles: true, composed: true, cancelable: true });
    this.displayName = displayName;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-request-join': CallRequestJoinEvent;
  }
}
