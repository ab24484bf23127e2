import type { CallPhase } from '../core/types.js';

/** Fired when the call's phase changes (`idle`, `connecting`, `connected`, `failed`, …). */
export class CallStateChangedEvent extends Event {
  readonly phase: CallPhase;
  readonly previous: CallPhase;
  constructor(phase: CallPhase, previous: CallPhase) {
    super('call-state-changed', { bubbles: true, composed: true });
    this.phase = phase;
    this.previous = previous;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-state-changed': CallStateChangedEvent;
  }
}
