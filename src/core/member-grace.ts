import type { DiagnosticsLog } from './diagnostics.js';
import { TypedEmitter } from './emitter.js';
import type { MemberInfo } from './membership.js';

/** The longest a member whose membership someone else removed stays, while their media flows. */
export const MEMBER_GRACE_MS = 10 * 60_000;
/**
 * The longest a member stays after their own leave, while their media keeps
 * flowing. That leave is a delayed one the homeserver sent because it could
 * not hear from them (an outage); their client sends the membership again
 * within seconds of the homeserver answering.
 */
export const OWN_LEAVE_GRACE_MS = 30_000;
/** How often the media of members kept after their own leave is checked. */
export const MEDIA_CHECK_MS = 1000;

/**
 * Keeps members whose membership vanished while their LiveKit participant is
 * still on an SFU, so that nobody's tile blinks out when the call's signalling
 * hiccups:
 * - somebody else removed it (anyone may write `{}` over another user's
 *   membership in rooms without owned state keys): kept for MEMBER_GRACE_MS;
 * - their own (delayed) leave, while packets from them keep arriving: kept for
 *   OWN_LEAVE_GRACE_MS. A clean leave goes as soon as they leave the SFU, a
 *   crashed client within MEDIA_CHECK_MS or two, as its media has stopped.
 */
export const MemberGraceEvent = {
  /** A grace ran out: `members` is shorter now. */
  Changed: 'changed',
} as const;

export interface MemberGraceEventMap {
  [MemberGraceEvent.Changed]: () => void;
}

interface Kept {
  member: MemberInfo;
  since: number;
  byOther: boolean;
  /** Packets received from them at the last media check (own leaves only). */
  packets?: number;
}

export class MemberGrace extends TypedEmitter<MemberGraceEventMap> {
  #current: readonly MemberInfo[] = [];
  readonly #vanished = new Map<string, Kept>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #checking = false;
  #disposed = false;

  constructor(
    private readonly options: {
      /** Whether this LiveKit identity is on one of our SFU connections now. */
      onSfu: (identity: string) => boolean;
      /** Whether the member's membership was last written by another user. */
      removedByOther: (member: MemberInfo) => boolean;
      /** Media received so far, by LiveKit identity; without it an own leave counts at once. */
      packetsFrom?: () => Promise<ReadonlyMap<string, number>>;
      log: DiagnosticsLog;
      graceMs?: number;
      ownLeaveGraceMs?: number;
      mediaCheckMs?: number;
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
      if (!this.options.onSfu(m.identity)) continue;
      const byOther = this.options.removedByOther(m);
      if (!byOther && !this.options.packetsFrom) continue;
      this.#vanished.set(m.identity, { member: m, since: now, byOther });
      this.options.log.warn(
        'membership',
        byOther
          ? 'another user removed a membership; keeping it a while'
          : 'a member left by a delayed leave; keeping them while their media flows',
        { participant: m.identity },
      );
    }
    for (const identity of present) this.#vanished.delete(identity);
    this.#current = members;
    void this.#checkMedia();
  }

  /** The memberships, plus those in their grace period whose media still flows; oldest first. */
  get members(): readonly MemberInfo[] {
    const now = this.#now();
    for (const [identity, kept] of this.#vanished)
      if (now - kept.since >= this.#limit(kept) || !this.options.onSfu(identity))
        this.#vanished.delete(identity);
    this.#schedule(now);
    if (this.#vanished.size === 0) return this.#current;
    const kept = [...this.#vanished.values()].map((v) => v.member);
    return [...this.#current, ...kept].sort((a, b) => a.createdTs - b.createdTs);
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#checkTimer);
    this.#vanished.clear();
    this.removeAllListeners();
  }

  /** While members are kept after their own leave, lets go of those whose packets stopped. */
  async #checkMedia(): Promise<void> {
    const { packetsFrom } = this.options;
    if (this.#checking || !packetsFrom) return;
    this.#checking = true;
    try {
      while (!this.#disposed && [...this.#vanished.values()].some((k) => !k.byOther)) {
        let counts: ReadonlyMap<string, number>;
        try {
          counts = await packetsFrom();
        } catch {
          counts = new Map();
        }
        let released = false;
        for (const [identity, kept] of this.#vanished) {
          if (kept.byOther) continue;
          const packets = counts.get(identity) ?? 0;
          if (kept.packets !== undefined && packets <= kept.packets) {
            this.#vanished.delete(identity);
            released = true;
          } else kept.packets = packets;
        }
        if (released) this.emit(MemberGraceEvent.Changed); // no listeners once disposed
        await new Promise<void>((resolve) => {
          this.#checkTimer = setTimeout(resolve, this.options.mediaCheckMs ?? MEDIA_CHECK_MS);
        });
      }
    } finally {
      this.#checking = false;
    }
  }

  #limit(kept: Kept): number {
    return kept.byOther
      ? (this.options.graceMs ?? MEMBER_GRACE_MS)
      : (this.options.ownLeaveGraceMs ?? OWN_LEAVE_GRACE_MS);
  }

  #schedule(now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = Math.min(...[...this.#vanished.values()].map((v) => v.since + this.#limit(v)));
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
