import type { CallParticipant, CallSessionApi } from '../../core/types.js';
import { TileOrder } from './tile-order.js';
import { VisibleVideo } from './visible-video.js';

/**
 * What a call too large for one page adds to the grid, in its own chunk (loaded once a call
 * is that large): a stable tile order that brings speakers to the first page, and telling
 * the session whose video is on screen.
 */
export class LargeCall {
  readonly #order: TileOrder;
  readonly #visible = new VisibleVideo();

  /** `wake` asks the grid to update again (a speaker's second is up). */
  constructor(wake: () => void) {
    this.#order = new TileOrder(wake);
  }

  /**
   * Arranges the camera tiles and reports those on `page` as on screen (`-1`: not paging, so
   * everyone's video is wanted). Returns each participant's place.
   */
  update(
    session: CallSessionApi | undefined,
    participants: readonly CallParticipant[],
    page: number,
    pageSize: number,
  ): Map<string, number> {
    const from = Math.max(0, page) * pageSize;
    const ids = this.#order.arrange(participants, {
      firstPage: pageSize,
      shownFrom: from,
      shownTo: from + pageSize,
    });
    this.#visible.report(session, page < 0 ? undefined : ids.slice(from, from + pageSize));
    return new Map(ids.map((id, i) => [id, i]));
  }

  /** The grid is gone: the session takes everyone's video again. */
  dispose(): void {
    this.#visible.release();
    this.#order.dispose();
  }
}
