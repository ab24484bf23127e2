import type { MatrixCallError } from '../core/errors.js';

/** Fired once for each new error: `error.reason`, `error.hint` and `error.audience` say what to do. */
export class CallErrorEvent extends Event {
  readonly error: MatrixCallError;
  constructor(error: MatrixCallError) {
    super('call-error', { bubbles: true, composed: true });
    this.error = error;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-error': CallErrorEvent;
  }
}
