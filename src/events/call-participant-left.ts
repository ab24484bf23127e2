import type { CallParticipant } from '../core/types.js';

/** Fired when a remote participant leaves the call (as last seen). */
export class CallParticipantLeftEvent extends Event {
  readonly participant: CallParticipant;
  constructor(participant: CallParticipant) {
    super('call-participant-left', { bubbles: true, composed: true });
    this.participant = participant;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-participant-left': CallParticipantLeftEvent;
  }
}
