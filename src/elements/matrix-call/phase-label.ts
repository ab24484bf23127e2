import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { CallSnapshot } from '../../core/types.js';

/** A phase must last this long before its label shows, so fast joins do not flash. */
const LABEL_DELAY_MS = 300;

/** Which phase to name on screen while joining or reconnecting: one that has lasted a moment. */
export class PhaseLabelController implements ReactiveController {
  /** The phase to name, or `''`. */
  shown = '';
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Call before each render with whether the host is waiting on the phase. */
  update(waiting: boolean, s: CallSnapshot | undefined): void {
    clearTimeout(this.#timer);
    if (!s || !waiting) {
      this.shown = '';
      return;
    }
    const wait = s.phaseSince + LABEL_DELAY_MS - Date.now();
    if (wait <= 0) this.shown = s.phase;
    else
      this.#timer = setTimeout(() => {
        this.host.requestUpdate();
      }, wait + 1);
  }

  hostDisconnected(): void {
    clearTimeout(this.#timer);
  }
}
