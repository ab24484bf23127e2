import type { CallParticipant } from '../../core/types.js';

/** How long someone must speak without a break before their tile moves (brief noises don't). */
export const SPEAKER_AFTER_MS = 1000;

/** Which tiles the user sees now: the first page's size, and the index range being shown. */
export interface OrderView {
  firstPage: number;
  shownFrom: number;
  shownTo: number;
}

/**
 * The order of the camera tiles of a large call, kept stable so the tiles you look at stay
 * put: a newcomer goes to the end, a leaver's slot is taken by the last tile, and someone
 * who speaks for a second while off screen and off the first page swaps places with the
 * first page's tile that spoke least recently (never you).
 */
export class TileOrder {
  #order: string[] = [];
  /** When each one's current run of speaking began. */
  readonly #since = new Map<string, number>();
  /** When each one last counted as the speaker. */
  readonly #spoke = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `wake` is called when a speaker's second is up, to arrange again. */
  constructor(private readonly wake: () => void) {}

  /** Participant IDs in tile order. */
  arrange(participants: readonly CallParticipant[], view: OrderView, now = Date.now()): string[] {
    const present = new Set(participants.map((p) => p.id));
    const slots: (string | undefined)[] = this.#order.map((id) =>
      present.has(id) ? id : undefined,
    );
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] !== undefined) continue;
      while (slots.length > i + 1 && slots.at(-1) === undefined) slots.pop();
      if (slots.length > i + 1) slots[i] = slots.pop();
      else slots.length = i;
    }
    const order = slots as string[];
    const placed = new Set(order);
    for (const p of participants) if (!placed.has(p.id)) order.push(p.id);
    for (const id of this.#since.keys()) if (!present.has(id)) this.#since.delete(id);
    for (const id of this.#spoke.keys()) if (!present.has(id)) this.#spoke.delete(id);

    const local = new Set(participants.filter((p) => p.isLocal).map((p) => p.id));
    const speakers: string[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const p of participants) {
      if (!p.speaking || p.isLocal) {
        this.#since.delete(p.id);
        continue;
      }
      const since = this.#since.get(p.id) ?? now;
      this.#since.set(p.id, since);
      if (now - since >= SPEAKER_AFTER_MS) {
        this.#spoke.set(p.id, now);
        speakers.push(p.id);
      } else next = Math.min(next, since + SPEAKER_AFTER_MS - now);
    }
    for (const id of speakers) {
      const at = order.indexOf(id);
      if (at < view.firstPage || (at >= view.shownFrom && at < view.shownTo)) continue;
      let victim = -1;
      for (let i = 0; i < Math.min(view.firstPage, order.length); i++) {
        const candidate = order[i] as string;
        if (local.has(candidate) || speakers.includes(candidate)) continue;
        const last = this.#spoke.get(candidate) ?? -1;
        if (victim < 0 || last <= (this.#spoke.get(order[victim] as string) ?? -1)) victim = i;
      }
      if (victim < 0) continue;
      order[at] = order[victim] as string;
      order[victim] = id;
    }
    this.#order = order;
    clearTimeout(this.#timer);
    this.#timer = Number.isFinite(next) ? setTimeout(this.wake, next + 20) : undefined;
    return [...order];
  }

  /** Stops the speaker timer. */
  dispose(): void {
    clearTimeout(this.#timer);
  }
}
