import type { DiagnosticsLog } from './diagnostics.js';
import { TypedEmitter } from './emitter.js';
import type { MemberInfo } from './membership.js';

/** How long a membership may name an SFU we are on without its participant showing up there. */
export const NO_SHOW_MS = 30_000;

export const NoShowsEvent = {
  /** A membership's time ran out: `visible` is shorter now. */
  Changed: 'changed',
} as const;

export interface NoShowsEventMap {
  [NoShowsEvent.Changed]: () => void;
}

/**
 * Hides memberships whose LiveKit participant never shows up on the SFU they
 * name, although we are connected to it: made-up memberships (anyone may add
 * them for their own user) and devices that died before publishing. Their
 * clock runs only while we are on that SFU, and someone who was there once
 * stays: an SFU restart or a slow reconnect hides nobody.
 */
export class NoShows extends TypedEmitter<NoShowsEventMap> {
  /** When each waiting membership's clock started. */
  readonly #waitingSince = new Map<string, number>();
  readonly #arrived = new Set<string>();
  readonly #hidden = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: {
      /** Whether this LiveKit identity is on one of our SFU connections now. */
      onSfu: (identity: string) => boolean;
      /** Whether we are connected to the SFU of this lk-jwt-service now. */
      connectedTo: (serviceUrl: string) => boolean;
      log: DiagnosticsLog;
      noShowMs?: number;
      now?: () => number;
    },
  ) {
    super();
  }

  /** `members` without the no-shows. */
  visible(members: readonly MemberInfo[]): readonly MemberInfo[] {
    const now = this.#now();
    const limit = this.options.noShowMs ?? NO_SHOW_MS;
    const present = new Set(members.map((m) => m.identity));
    for (const set of [this.#arrived, this.#hidden])
      for (const identity of set) if (!present.has(identity)) set.delete(identity);
    for (const identity of this.#waitingSince.keys())
      if (!present.has(identity)) this.#waitingSince.delete(identity);
    const out = members.filter((m) => {
      if (this.#arrived.has(m.identity)) return true;
      if (this.options.onSfu(m.identity)) {
        this.#arrived.add(m.identity);
        this.#waitingSince.delete(m.identity);
        this.#hidden.delete(m.identity);
        return true;
      }
      if (!m.serviceUrl || !this.options.connectedTo(m.serviceUrl)) {
        this.#waitingSince.delete(m.identity);
        return true;
      }
      const since = this.#waitingSince.get(m.identity) ?? now;
      this.#waitingSince.set(m.identity, since);
      if (now - since < limit) return true;
      if (!this.#hidden.has(m.identity)) {
        this.#hidden.add(m.identity);
        this.options.log.warn(
          'membership',
          'hiding a membership whose device never joined the SFU',
          {
            participant: m.identity,
          },
        );
      }
      return false;
    });
    this.#schedule(now, limit);
    return out;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.removeAllListeners();
  }

  #schedule(now: number, limit: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#waitingSince]
      .filter(([identity]) => !this.#hidden.has(identity))
      .map(([, since]) => since + limit);
    const next = Math.min(...pending);
    if (Number.isFinite(next))
      this.#timer = setTimeout(
        () => {
          this.emit(NoShowsEvent.Changed);
        },
        Math.max(0, next - now),
      );
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
