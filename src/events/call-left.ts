/** Why the local user is no longer in the call. */
export type CallLeftReason = 'user' | 'error';

/** Fired when the local user left the call, by choice (`user`) or because it failed (`error`). */
export class CallLeftEvent extends Event {
  readonly reason: CallLeftReason;
  constructor(reason: CallLeftReason) {
    super('call-left', { bubbles: true, composed: true });
    this.reason = reason;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-left': CallLeftEvent;
  }
}
