/** "Try again" was pressed on the error view (cancelable). */
export class CallRequestRetryEvent extends Event {
  constructor() {
    super('call-request-retry', { bubbles: true, composed: true, cancelable: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-request-retry': CallRequestRetryEvent;
  }
}
