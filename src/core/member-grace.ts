import type { DiagnosticsLog } from './diagnostics.js';
import { TypedEmitter } from './emitter.js';
import type { MemberInfo } from './membership.js';

/** The longest a member whose membership someone else removed stays, while their media flows. */
export const MEMBER_GRACE_MS = 10 * 60_000;

/**
 * Keeps members whose membership somebody else removed (anyone may write `{}`
 * over another user's membership in rooms without owned state keys) while
 * their LiveKit participant is still on an SFU, for a grace period: their own
 * client sends the membership again meanwhile. A leave from the member
 * themself (or their delayed leave) counts at once.
 */
export const MemberGraceEvent = {
  /** A grace ran out: `members` is shorter now. */
  Changed: 'changed',
} as const;

export interface MemberGraceEventMap {
  [MemberGraceEvent.Changed]: () => void;
}

export class MemberGrace extends TypedEmitter<MemberGraceEventMap> {
  #current: readonly MemberInfo[] = [];
  readonly #vanished = new Map<string, { member: MemberInfo; since: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: {
      /** Whether this LiveKit identity is on one of our SFU connections now. */
      onSfu: (identity: string) => boolean;
      /** Whether the member's membership was last written by another user. */
      removedByOther: (member: MemberInfo) => boolean;
      log: DiagnosticsLog;
      graceMs?: number;
      now?: () => number;
    },
  ) {
    super();
  }

  /** How many vanished members are being kept. */
  get holding(): number {
    return this.#vanished.size;
  }

  /** New memberships from the room. */
  update(members: readonly MemberInfo[]): void {
    const now = this.#now();
    const present = new Set(members.map((m) => m.identity));
    for (const m of this.#current) {
      if (present.has(m.identity) || this.#vanished.has(m.identity)) continue;
      if (!this.options.removedByOther(m) || !this.options.onSfu(m.identity)) continue;
      this.#vanished.set(m.identity, { member: m, since: now });
      this.options.log.warn('membership', 'another user removed a membership; keeping it a while', {
        participant: m.identity,
      });
    }
    for (const identity of present) this.#vanished.delete(identity);
    this.#current = members;
  }

  /** The memberships, plus those in their grace period whose media still flows; oldest first. */
  get members(): readonly MemberInfo[] {
    const now = this.#now();
    const grace = this.options.graceMs ?? MEMBER_GRACE_MS;
    for (const [identity, { since }] of this.#vanished)
      if (now - since >= grace || !this.options.onSfu(identity)) this.#vanished.delete(identity);
    this.#schedule(grace, now);
    if (this.#vanished.size === 0) return this.#current;
    const kept = [...this.#vanished.values()].map((v) => v.member);
    return [...this.#current, ...kept].sort((a, b) => a.createdTs - b.createdTs);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#vanished.clear();
    this.removeAllListeners();
  }

  #schedule(grace: number, now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = Math.min(...[...this.#vanished.values()].map((v) => v.since + grace));
    if (Number.isFinite(next))
      this.#timer = setTimeout(
        () => {
          this.emit(MemberGraceEvent.Changed);
        },
        Math.max(0, next - now),
      );
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
