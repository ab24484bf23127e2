import type { CallParticipant, CallSessionApi } from '../../core/types.js';
import type { CallTileElement } from '../call-tile/call-tile.js';
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
  /** Camera tiles in sight (the spotlight's filmstrip scrolls), by participant. */
  readonly #inSight = new Set<string>();
  readonly #watched = new Map<Element, string>();
  #sighted = false;
  readonly #observer: IntersectionObserver;

  /** `wake` asks the grid to update again (a speaker's second is up, tiles came in sight). */
  constructor(wake: () => void) {
    this.#order = new TileOrder(wake);
    this.#observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const id = this.#watched.get(entry.target);
        if (id === undefined) continue;
        if (entry.isIntersecting) this.#inSight.add(id);
        else this.#inSight.delete(id);
      }
      this.#sighted = true;
      wake();
    });
  }

  /**
   * Arranges the camera tiles and reports whose video is on screen: those on page `shown` of a
   * paged grid, those in sight in the spotlight, or everyone's. Returns each one's place.
   */
  update(
    session: CallSessionApi | undefined,
    participants: readonly CallParticipant[],
    shown: number | 'in-sight' | 'all',
    pageSize: number,
  ): Map<string, number> {
    const from = typeof shown === 'number' ? shown * pageSize : 0;
    const ids = this.#order.arrange(participants, {
      firstPage: pageSize,
      shownFrom: from,
      shownTo: from + pageSize,
    });
    if (shown === 'all') this.#visible.report(session, undefined);
    else if (shown !== 'in-sight') this.#visible.report(session, ids.slice(from, from + pageSize));
    // Until the first sighting, the last report stands: nothing flickers off and on.
    else if (this.#sighted) this.#visible.report(session, [...this.#inSight].sort());
    return new Map(ids.map((id, i) => [id, i]));
  }

  /** Follows which of the grid's camera tiles are in sight. */
  watch(tiles: Iterable<CallTileElement>): void {
    const now = new Map<Element, string>();
    for (const tile of tiles)
      if (tile.source === 'camera' && tile.participant) now.set(tile, tile.participant.id);
    for (const [tile, id] of this.#watched)
      if (now.get(tile) !== id) {
        this.#observer.unobserve(tile);
        this.#watched.delete(tile);
        this.#inSight.delete(id);
      }
    for (const [tile, id] of now)
      if (!this.#watched.has(tile)) {
        this.#watched.set(tile, id);
        this.#observer.observe(tile);
      }
  }

  /** The grid is gone: the session takes everyone's video again. */
  dispose(): void {
    this.#visible.release();
    this.#order.dispose();
    this.#observer.disconnect();
    this.#watched.clear();
    this.#inSight.clear();
    this.#sighted = false;
  }
}
