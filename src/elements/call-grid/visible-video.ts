import type { CallSessionApi } from '../../core/types.js';

/** Tells a session whose camera video is on screen, only when that changes. */
export class VisibleVideo {
  #session: CallSessionApi | undefined;
  /** The last report, joined; `null` before the first. */
  #last: string | null = null;

  report(session: CallSessionApi | undefined, ids: readonly string[] | undefined): void {
    const key = ids?.join('\n') ?? '*';
    if (session === this.#session && key === this.#last) return;
    if (session !== this.#session) this.release();
    this.#session = session;
    this.#last = key;
    session?.setVisibleParticipants(ids);
  }

  /** Gives the session back its default, everyone's video (the grid is gone). */
  release(): void {
    if (this.#last !== null && this.#last !== '*') this.#session?.setVisibleParticipants(undefined);
    this.#session = undefined;
    this.#last = null;
  }
}
