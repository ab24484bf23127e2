/** Fired by a tile's pin button: the user asks to pin (or unpin) that tile in the spotlight. */
export class CallPinEvent extends Event {
  /** The tile's key: the participant ID, plus `:screen` for a screen share. */
  readonly tileKey: string;
  readonly pinned: boolean;
  constructor(tileKey: string, pinned: boolean) {
    super('call-pin', { bubbles: true, composed: true });
    this.tileKey = tileKey;
    this.pinned = pinned;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-pin': CallPinEvent;
  }
}
