/** Fired when the local user is in the call: media connected and membership sent. */
export class CallJoinedEvent extends Event {
  constructor() {
    super('call-joined', { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-joined': CallJoinedEvent;
  }
}
