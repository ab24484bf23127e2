import type { CallParticipant } from '../core/types.js';

/** Fired when a remote participant appears in the call while the local user is in it. */
export class CallParticipantJoinedEvent extends Event {
  readonly participant: CallParticipant;
  constructor(participant: CallParticipant) {
    super('call-participant-joined', { bubbles: true, composed: true });
    this.participant = participant;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-participant-joined': CallParticipantJoinedEvent;
  }
}
