/** "Back to the lobby" was pressed after leaving (cancelable). */
export class CallRequestLobbyEvent extends Event {
  constructor() {
    super('call-request-lobby', { bubbles: true, composed: true, cancelable: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-request-lobby': CallRequestLobbyEvent;
  }
}
