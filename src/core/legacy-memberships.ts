import {
  EventTimeline,
  KnownMembership,
  RoomStateEvent,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { isLivekitTransport, normalizeServiceUrl } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import type { MemberInfo } from './membership.js';
import type { EncryptionMode } from './types.js';

/**
 * Older clients (Element Call before per-device memberships, and apps built on that
 * format) keep all of a user's devices in one state event under the user ID:
 * `{"memberships": [{application, call_id, scope, device_id, expires | expires_ts,
 * created_ts?, foci_active, membershipID}]}`. matrix-js-sdk 43 ignores it, so we read it
 * here. Its type is the unstable prefix, or MSC3401's stable name.
 */
export const LEGACY_MEMBER_EVENT_TYPES: readonly string[] = [
  'org.matrix.msc3401.call.member',
  'm.call.member',
];
/** Entries read per event: nobody joins from this many devices; more is spam. */
export const MAX_LEGACY_ENTRIES = 16;
/** Foci looked at per entry. */
const MAX_FOCI = 8;
/** Device and membership IDs longer than this are not real. */
const MAX_ID_LENGTH = 255;
/** setTimeout's ceiling; a later expiry is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The parts of a state event the reader looks at. */
export interface LegacyMemberEvent {
  type: string;
  stateKey: string | undefined;
  sender: string | undefined;
  content: unknown;
  /** The event's `origin_server_ts`: when an entry has no `created_ts`, it counts from this. */
  originServerTs: number;
}

export interface LegacyRead {
  /** Valid, unexpired entries as members, one per device. */
  members: MemberInfo[];
  /** When the first of them expires (ms since epoch). */
  nextExpiry: number | undefined;
  /** Why entries were left out, one line each (no content quoted). */
  ignored: string[];
}

type Entry = { member: MemberInfo; expiresAt: number } | string;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isId = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= MAX_ID_LENGTH &&
  // eslint-disable-next-line no-control-regex
  !/[\u0000-\u001f\u007f]/.test(v);

const positive = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;

/**
 * When an entry ends: `expires` counts from `created_ts` (else the event's time), as
 * matrix-js-sdk read it; `expires_ts` is absolute (what Famedly's SDK sends).
 */
function expiryOf(entry: Record<string, unknown>, createdTs: number): number | undefined {
  const relative = positive(entry['expires']);
  if (relative !== undefined) return createdTs + relative;
  return positive(entry['expires_ts']);
}

function readEntry(entry: unknown, userId: string, originTs: number, now: number): Entry {
  if (!isRecord(entry)) return 'not an object';
  if (entry['application'] !== 'm.call') return 'not an m.call membership';
  if (entry['call_id'] !== '' || (entry['scope'] !== undefined && entry['scope'] !== 'm.room'))
    return "not the room's call";
  const deviceId = entry['device_id'];
  if (!isId(deviceId)) return 'no valid device_id';
  const foci = entry['foci_active'];
  const focus = Array.isArray(foci) ? foci.slice(0, MAX_FOCI).find(isLivekitTransport) : undefined;
  if (!focus) return 'no LiveKit focus in foci_active';
  const createdTs = positive(entry['created_ts']) ?? positive(originTs) ?? 0;
  const expiresAt = expiryOf(entry, createdTs);
  if (expiresAt === undefined) return 'no valid expires or expires_ts';
  if (expiresAt <= now) return 'expired';
  const identity = `${userId}:${deviceId}`;
  const membershipId = entry['membershipID'];
  return {
    member: {
      // What lk-jwt-service's /sfu/get makes of user and device, the grant these clients use.
      identity,
      userId,
      deviceId,
      memberId: isId(membershipId) ? membershipId : identity,
      serviceUrl: normalizeServiceUrl(focus.livekit_service_url),
      createdTs,
      expired: false,
      legacy: true,
    },
    expiresAt,
  };
}

/**
 * Reads one state event in the legacy format without trusting it: it never throws, and
 * takes only entries for the sender's own devices, under a state key that is the sender.
 */
export function readLegacyEvent(event: LegacyMemberEvent, now: number): LegacyRead {
  const out: LegacyRead = { members: [], nextExpiry: undefined, ignored: [] };
  try {
    if (!LEGACY_MEMBER_EVENT_TYPES.includes(event.type)) return out;
    const { sender, content } = event;
    // Per-device memberships (matrix-js-sdk reads those) and leaves have no list.
    if (!isRecord(content) || !('memberships' in content)) return out;
    const list = content['memberships'];
    if (!Array.isArray(list)) return { ...out, ignored: ['memberships is not a list'] };
    if (typeof sender !== 'string' || !sender.startsWith('@') || event.stateKey !== sender)
      return list.length ? { ...out, ignored: ['state key is not the sender'] } : out;
    if (list.length > MAX_LEGACY_ENTRIES)
      out.ignored.push(`${String(list.length - MAX_LEGACY_ENTRIES)} entries over the limit`);
    const devices = new Set<string>();
    for (const raw of list.slice(0, MAX_LEGACY_ENTRIES)) {
      const entry = readEntry(raw, sender, event.originServerTs, now);
      if (typeof entry === 'string') {
        out.ignored.push(entry);
        continue;
      }
      if (devices.has(entry.member.deviceId)) {
        out.ignored.push('a device listed twice');
        continue;
      }
      devices.add(entry.member.deviceId);
      out.members.push(entry.member);
      out.nextExpiry = Math.min(out.nextExpiry ?? Infinity, entry.expiresAt);
    }
  } catch {
    return { members: [], nextExpiry: undefined, ignored: ['unreadable'] };
  }
  return out;
}

/**
 * The per-device memberships plus the legacy members whose device has none (the
 * per-device one is newer and carries keys), oldest first.
 */
export function withLegacyMembers(
  members: readonly MemberInfo[],
  legacy: readonly MemberInfo[],
): readonly MemberInfo[] {
  if (legacy.length === 0) return members;
  const have = new Set(members.flatMap((m) => [m.identity, `${m.userId}|${m.deviceId}`]));
  const extra = legacy.filter(
    (m) => !have.has(m.identity) && !have.has(`${m.userId}|${m.deviceId}`),
  );
  if (extra.length === 0) return members;
  return [...members, ...extra].sort((a, b) => a.createdTs - b.createdTs);
}

/**
 * The members whose media we take. Legacy clients send no media keys and publish
 * unencrypted media, which an encrypted call never takes.
 */
export function membersToSubscribe(
  members: readonly MemberInfo[],
  mode: EncryptionMode,
): readonly MemberInfo[] {
  return mode === 'none' || !members.some((m) => m.legacy)
    ? members
    : members.filter((m) => !m.legacy);
}

export const LegacyMembershipsEvent = {
  /** `members` changed. */
  Changed: 'changed',
} as const;

export interface LegacyMembershipsEventMap {
  [LegacyMembershipsEvent.Changed]: () => void;
}

const sameMembers = (a: readonly MemberInfo[], b: readonly MemberInfo[]) =>
  a.length === b.length &&
  a.every((m, i) => {
    const o = b[i];
    return (
      o?.identity === m.identity &&
      o.serviceUrl === m.serviceUrl &&
      o.createdTs === m.createdTs &&
      o.memberId === m.memberId
    );
  });

/**
 * The room's members in the legacy per-user format, kept current: re-read on every
 * change of those state events or of room membership, and when an entry expires.
 */
export class LegacyMemberships extends TypedEmitter<LegacyMembershipsEventMap> {
  #members: readonly MemberInfo[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** What was last logged per event, so each problem is logged once. */
  readonly #logged = new Map<string, string>();
  readonly #undo: () => void;

  constructor(private readonly options: { room: Room; log: DiagnosticsLog; now?: () => number }) {
    super();
    const { room } = options;
    const onState = (event: MatrixEvent) => {
      if (LEGACY_MEMBER_EVENT_TYPES.includes(event.getType())) this.#read();
    };
    // Someone leaving the room takes their legacy entries along (`Members` comes once the
    // member is updated; `Events` comes before).
    const onMember = () => {
      this.#read();
    };
    room.on(RoomStateEvent.Events, onState);
    room.on(RoomStateEvent.Members, onMember);
    this.#undo = () => {
      room.off(RoomStateEvent.Events, onState);
      room.off(RoomStateEvent.Members, onMember);
    };
    this.#read();
  }

  /** Valid, unexpired legacy members of users in the room, oldest first. */
  get members(): readonly MemberInfo[] {
    return this.#members;
  }

  dispose(): void {
    this.#undo();
    clearTimeout(this.#timer);
    this.removeAllListeners();
  }

  #read(): void {
    const { room, log } = this.options;
    const now = this.options.now?.() ?? Date.now();
    const byIdentity = new Map<string, MemberInfo>();
    let nextExpiry = Infinity;
    for (const event of this.#events()) {
      const sender = event.getSender();
      if (!sender || !room.hasMembershipState(sender, KnownMembership.Join)) continue;
      const read = readLegacyEvent(
        {
          type: event.getType(),
          stateKey: event.getStateKey(),
          sender,
          content: event.getContent(),
          originServerTs: event.getTs(),
        },
        now,
      );
      this.#logOnce(event, sender, read);
      for (const m of read.members) if (!byIdentity.has(m.identity)) byIdentity.set(m.identity, m);
      if (read.nextExpiry !== undefined) nextExpiry = Math.min(nextExpiry, read.nextExpiry);
    }
    const members = [...byIdentity.values()].sort((a, b) => a.createdTs - b.createdTs);
    this.#schedule(nextExpiry, now);
    if (sameMembers(members, this.#members)) return;
    this.#members = members;
    log.info('membership', 'legacy call memberships changed', {
      participants: members.map((m) => m.identity),
    });
    this.emit(LegacyMembershipsEvent.Changed);
  }

  #events(): MatrixEvent[] {
    try {
      const state = this.options.room.getLiveTimeline().getState(EventTimeline.FORWARDS);
      return LEGACY_MEMBER_EVENT_TYPES.flatMap((type) => state?.getStateEvents(type) ?? []);
    } catch {
      return [];
    }
  }

  #logOnce(event: MatrixEvent, sender: string, read: LegacyRead): void {
    if (read.ignored.length === 0) return;
    const key = `${event.getType()}|${sender}`;
    const what = `${event.getId() ?? ''}|${read.ignored.join(',')}`;
    if (this.#logged.get(key) === what) return;
    this.#logged.set(key, what);
    this.options.log.info('membership', 'ignored legacy call membership entries', {
      sender,
      reasons: [...new Set(read.ignored)].slice(0, 8),
    });
  }

  #schedule(nextExpiry: number, now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!Number.isFinite(nextExpiry)) return;
    this.#timer = setTimeout(
      () => {
        this.#read();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, nextExpiry - now) + 1),
    );
  }
}
