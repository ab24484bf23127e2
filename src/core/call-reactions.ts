import {
  Direction,
  EventType,
  MatrixEventEvent,
  RelationType,
  RoomEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import {
  MatrixRTCSessionEvent,
  type CallMembership,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { MatrixCallError } from './errors.js';
import { CALL_REACTIONS, REACTION_SHOW_MS } from './reaction-set.js';
import type { CallReaction } from './types.js';

/** Element Call's reaction event (the emoji menu); encrypted in E2EE rooms. */
export const CALL_REACTION_EVENT = 'io.element.call.reaction';

declare module 'matrix-js-sdk/lib/@types/event.js' {
  interface TimelineEvents {
    [CALL_REACTION_EVENT]: {
      'm.relates_to': { rel_type: RelationType.Reference; event_id: string };
      emoji: string;
      name: string;
    };
  }
}
/** The annotation key of a raised hand: U+1F590 U+FE0F, compared exactly, as Element Call does. */
export const RAISED_HAND_KEY = '\u{1F590}\uFE0F';
/** A reaction older than this when it reaches us (initial sync, a late decryption) is not shown. */
const STALE_REACTION_MS = 10_000;
/** How many of a membership's annotations we fetch when we missed them (joined later). */
const FETCHED_RELATIONS = 50;
const MAX_EMOJI_LENGTH = 32;
/** How long sending waits for our membership's echo after a join. */
const OWN_MEMBERSHIP_WAIT_MS = 10_000;
const MAX_HANDLED = 500;

export const CallReactionsEvent = {
  /** A hand went up or down, or a reaction started or ended. */
  Changed: 'changed',
  /** The memberships were read again. */
  MembershipsRead: 'membershipsRead',
} as const;

export interface CallReactionsEventMap {
  [CallReactionsEvent.Changed]: () => void;
  [CallReactionsEvent.MembershipsRead]: () => void;
}

export interface CallReactionsOptions {
  client: MatrixClient;
  room: Room;
  rtc: MatrixRTCSession;
  userId: string;
  deviceId: string;
  log: DiagnosticsLog;
}

/** What a participant shows: a raised hand since when, and the reaction playing now. */
export interface MemberReactions {
  handRaisedAt: number | undefined;
  reaction: CallReaction | undefined;
}

interface Membership {
  eventId: string;
  userId: string;
  deviceId: string;
  identity: string;
}

interface Hand {
  membershipEventId: string;
  reactionEventId: string;
  at: number;
}

interface Playing {
  /** The same object for as long as it shows: the UI tells a new reaction by identity. */
  reaction: CallReaction;
  membershipEventId: string;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Raised hands and reactions, in Element Call's formats: both relate to the sender's own
 * membership event. A hand is an `m.reaction` annotation with key 🖐️ until its redaction or
 * the member's leave; a reaction (`io.element.call.reaction`) shows for 3 s, one per member
 * at a time. Anything that does not relate to a current membership of its sender is ignored.
 * Hands raised before we saw the room come from the membership's relations (`/relations`).
 */
export class CallReactions extends TypedEmitter<CallReactionsEventMap> {
  /** Current memberships by event ID. */
  #memberships = new Map<string, Membership>();
  readonly #hands = new Map<string, Hand>();
  readonly #playing = new Map<string, Playing>();
  /** Membership events whose earlier annotations we looked for. */
  readonly #looked = new Set<string>();
  /** Reaction event IDs already shown (an event can arrive, decrypt and echo). */
  readonly #handled = new Set<string>();
  #handQueue: Promise<void> = Promise.resolve();
  #reactionPending = false;
  #disposed = false;
  #lookups: Promise<void> = Promise.resolve();
  readonly #undo: () => void;

  constructor(private readonly options: CallReactionsOptions) {
    super();
    const { client, room, rtc } = options;
    const onEvent = (event: MatrixEvent) => {
      this.#consider(event);
    };
    const onMemberships = () => {
      this.#readMemberships();
    };
    room.on(RoomEvent.Timeline, onEvent);
    room.on(RoomEvent.Redaction, onEvent);
    // Our own events get their real ID when the server echoes them.
    room.on(RoomEvent.LocalEchoUpdated, onEvent);
    client.on(MatrixEventEvent.Decrypted, onEvent);
    rtc.on(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
    this.#undo = () => {
      room.off(RoomEvent.Timeline, onEvent);
      room.off(RoomEvent.Redaction, onEvent);
      room.off(RoomEvent.LocalEchoUpdated, onEvent);
      client.off(MatrixEventEvent.Decrypted, onEvent);
      rtc.off(MatrixRTCSessionEvent.MembershipsChanged, onMemberships);
    };
    this.#readMemberships();
  }

  /** A participant's (by LiveKit identity) raised hand and current reaction. */
  of(identity: string): MemberReactions {
    return {
      handRaisedAt: this.#hands.get(identity)?.at,
      reaction: this.#reactionOf(identity),
    };
  }

  #reactionOf(identity: string): CallReaction | undefined {
    return this.#playing.get(identity)?.reaction;
  }

  /** Raises or lowers our hand: an annotation of our membership, or its redaction. */
  setHandRaised(raised: boolean): Promise<void> {
    const run = this.#handQueue.then(() => this.#setHand(raised));
    this.#handQueue = run.catch(() => undefined);
    return run;
  }

  async #setHand(raised: boolean): Promise<void> {
    const { client, room, log } = this.options;
    const own = await this.#own();
    const hand = this.#hands.get(own.identity);
    if (raised === !!hand) return;
    try {
      if (raised) {
        const { event_id } = await client.sendEvent(room.roomId, EventType.Reaction, {
          'm.relates_to': {
            rel_type: RelationType.Annotation,
            event_id: own.eventId,
            key: RAISED_HAND_KEY,
          },
        });
        if (this.#memberships.get(own.eventId))
          this.#setHandOf(own, { membershipEventId: own.eventId, reactionEventId: event_id });
        log.info('reactions', 'raised our hand');
      } else if (hand) {
        await client.redactEvent(room.roomId, hand.reactionEventId);
        if (this.#hands.get(own.identity) === hand) {
          this.#hands.delete(own.identity);
          this.emit(CallReactionsEvent.Changed);
        }
        log.info('reactions', 'lowered our hand');
      }
    } catch (error) {
      log.warn('reactions', `could not ${raised ? 'raise' : 'lower'} our hand`, {
        error: describe(error),
      });
      throw MatrixCallError.from(error);
    }
  }

  /**
   * Sends one of Element Call's reactions (`CALL_REACTIONS`). Resolves without sending while
   * our last one still shows: Element Call would drop it.
   */
  async sendReaction(name: string): Promise<void> {
    const known = CALL_REACTIONS.find((r) => r.name === name);
    if (!known) throw MatrixCallError.invalidConfig(`sendReaction(): unknown reaction "${name}"`);
    if (this.#reactionPending) return;
    this.#reactionPending = true;
    try {
      await this.#react(known);
    } finally {
      this.#reactionPending = false;
    }
  }

  async #react(known: CallReaction): Promise<void> {
    const { client, room, log } = this.options;
    const own = await this.#own();
    if (this.#playing.has(own.identity)) {
      log.debug('reactions', 'our last reaction still shows; not sending another');
      return;
    }
    try {
      const content = {
        'm.relates_to': { rel_type: RelationType.Reference as const, event_id: own.eventId },
        emoji: known.emoji,
        name: known.name,
      };
      const { event_id } = await client.sendEvent(room.roomId, CALL_REACTION_EVENT, content);
      this.#remember(event_id);
      if (this.#memberships.get(own.eventId)) this.#play(own, { ...known });
      log.info('reactions', 'sent a reaction', { name: known.name });
    } catch (error) {
      log.warn('reactions', 'could not send a reaction', { error: describe(error) });
      throw MatrixCallError.from(error);
    }
  }

  /**
   * Our current membership; reacting needs one. Right after joining, the homeserver has
   * taken it but its echo may still be on the way: wait a little for it.
   */
  async #own(): Promise<Membership> {
    const { userId, deviceId } = this.options;
    const find = () => {
      for (const m of this.#memberships.values())
        if (m.userId === userId && m.deviceId === deviceId) return m;
      return undefined;
    };
    const found =
      find() ??
      (await new Promise<Membership | undefined>((resolve) => {
        const done = () => {
          const m = find();
          if (!m && Date.now() < until && !this.#disposed) return;
          clearInterval(timer);
          this.off(CallReactionsEvent.MembershipsRead, done);
          resolve(m);
        };
        const until = Date.now() + OWN_MEMBERSHIP_WAIT_MS;
        const timer = setInterval(done, 250);
        this.on(CallReactionsEvent.MembershipsRead, done);
      }));
    if (!found)
      throw MatrixCallError.invalidConfig('reactions need our membership: join the call first');
    return found;
  }

  #readMemberships(): void {
    const next = new Map<string, Membership>();
    let list: readonly CallMembership[] = [];
    try {
      list = this.options.rtc.memberships;
    } catch (error) {
      this.options.log.warn('reactions', 'could not read memberships', { error: describe(error) });
    }
    for (const m of list) {
      const read = readMembership(m);
      if (read) next.set(read.eventId, read);
    }
    const before = this.#memberships;
    this.#memberships = next;
    this.emit(CallReactionsEvent.MembershipsRead);
    let changed = false;
    let ownHandDropped = false;
    const { userId, deviceId } = this.options;
    // A hand or reaction belongs to one membership event: a leave or a new membership ends it.
    for (const [identity, hand] of this.#hands) {
      if (next.get(hand.membershipEventId)?.identity === identity) continue;
      const previous = before.get(hand.membershipEventId);
      if (previous?.userId === userId && previous.deviceId === deviceId) ownHandDropped = true;
      this.#hands.delete(identity);
      changed = true;
    }
    for (const [identity, playing] of this.#playing) {
      if (next.get(playing.membershipEventId)?.identity === identity) continue;
      clearTimeout(playing.timer);
      this.#playing.delete(identity);
      changed = true;
    }
    if (changed) this.emit(CallReactionsEvent.Changed);
    for (const m of next.values()) this.#lookForEarlierHand(m);
    // Our membership was sent again (the camera changed the call intent, or it came back after
    // an outage) and is still there: keep our hand up on the new one.
    const stillIn = [...next.values()].some((m) => m.userId === userId && m.deviceId === deviceId);
    if (ownHandDropped && stillIn) {
      this.options.log.info('reactions', 'raising our hand again on our new membership');
      this.setHandRaised(true).catch(() => undefined);
    }
  }

  /**
   * A membership we did not see arrive may have a hand raised already: look in the timeline
   * we have, else ask the homeserver for its annotations, once per membership event.
   */
  #lookForEarlierHand(m: Membership): void {
    if (this.#looked.has(m.eventId) || this.#disposed) return;
    this.#looked.add(m.eventId);
    const { client, room, log } = this.options;
    for (const event of room.getLiveTimeline().getEvents()) this.#consider(event);
    if (room.findEventById(m.eventId)) return; // everything after it is in the timeline
    // A widget has no token of its own for the homeserver: its host would have to ask.
    if (!client.getAccessToken()) return;
    const mapper = client.getEventMapper();
    // One at a time: a large call would otherwise send a burst of these from the lobby.
    this.#lookups = this.#lookups
      .then(() =>
        this.#disposed
          ? undefined
          : client
              .fetchRelations(room.roomId, m.eventId, RelationType.Annotation, EventType.Reaction, {
                dir: Direction.Backward,
                limit: FETCHED_RELATIONS,
              })
              .then(({ chunk }) => {
                if (this.#disposed || !Array.isArray(chunk)) return;
                // Oldest first, so a later raise of the same member wins.
                for (const raw of [...chunk].reverse()) this.#consider(mapper(raw));
              }),
      )
      .catch((error: unknown) => {
        log.debug('reactions', 'could not fetch a membership’s annotations', {
          error: describe(error),
        });
      });
  }

  /** Reads any event defensively: whatever another client sent, this never throws. */
  #consider(event: MatrixEvent): void {
    if (this.#disposed) return;
    try {
      if (event.getRoomId() !== this.options.room.roomId) return;
      if (event.isSending() || event.isBeingDecrypted() || event.isDecryptionFailure()) return;
      const id = event.getId();
      const sender = event.getSender();
      if (!id || !sender || id.startsWith('~')) return;
      const type: string = event.getType();
      if (type === 'm.reaction') this.#onAnnotation(event, id, sender);
      else if (type === CALL_REACTION_EVENT) this.#onReaction(event, id, sender);
      else if (type === 'm.room.redaction') this.#onRedaction(event);
    } catch (error) {
      this.options.log.warn('reactions', 'ignored an unreadable event', {
        type: safeType(event),
        error: describe(error),
      });
    }
  }

  /** The sender's current membership that `content` relates to, if any. */
  #target(content: unknown, sender: string): Membership | undefined {
    const relation = record(record(content)?.['m.relates_to']);
    const target = relation?.['event_id'];
    if (typeof target !== 'string') return undefined;
    const m = this.#memberships.get(target);
    if (m?.userId === sender) return m;
    this.options.log.debug('reactions', 'ignored a reaction not on its sender’s membership');
    return undefined;
  }

  #onAnnotation(event: MatrixEvent, id: string, sender: string): void {
    if (event.isRedacted()) return;
    const content: unknown = event.getContent();
    const relation = record(record(content)?.['m.relates_to']);
    if (relation?.['rel_type'] !== RelationType.Annotation) return;
    if (relation['key'] !== RAISED_HAND_KEY) return;
    const m = this.#target(content, sender);
    if (!m || this.#hands.get(m.identity)?.reactionEventId === id) return;
    this.#setHandOf(m, { membershipEventId: m.eventId, reactionEventId: id }, event.localTimestamp);
  }

  #setHandOf(m: Membership, hand: Omit<Hand, 'at'>, at = Date.now()): void {
    const time = Number.isFinite(at) && at > 0 ? at : Date.now();
    this.#hands.set(m.identity, { ...hand, at: time });
    this.emit(CallReactionsEvent.Changed);
  }

  #onReaction(event: MatrixEvent, id: string, sender: string): void {
    if (this.#handled.has(id)) return;
    const age = Date.now() - event.localTimestamp;
    if (!(age < STALE_REACTION_MS)) return;
    const content = record(event.getContent());
    const m = this.#target(content, sender);
    if (!m) return;
    const name = content?.['name'];
    const known = CALL_REACTIONS.find((r) => r.name === name);
    const emoji = known?.emoji ?? firstGrapheme(content?.['emoji']);
    if (!emoji) return;
    this.#remember(id);
    if (this.#playing.has(m.identity)) return; // one at a time, as Element Call
    this.#play(m, { emoji, name: known?.name ?? 'generic' });
  }

  #play(m: Membership, reaction: CallReaction): void {
    const timer = setTimeout(() => {
      if (this.#playing.get(m.identity)?.timer !== timer) return;
      this.#playing.delete(m.identity);
      this.emit(CallReactionsEvent.Changed);
    }, REACTION_SHOW_MS);
    this.#playing.set(m.identity, {
      reaction: { emoji: reaction.emoji, name: reaction.name },
      membershipEventId: m.eventId,
      timer,
    });
    this.emit(CallReactionsEvent.Changed);
  }

  #onRedaction(event: MatrixEvent): void {
    const redacts: unknown = event.event.redacts ?? record(event.getContent())?.['redacts'];
    if (typeof redacts !== 'string') return;
    for (const [identity, hand] of this.#hands) {
      if (hand.reactionEventId !== redacts) continue;
      this.#hands.delete(identity);
      this.emit(CallReactionsEvent.Changed);
    }
  }

  #remember(id: string): void {
    this.#handled.add(id);
    if (this.#handled.size > MAX_HANDLED) {
      const oldest = this.#handled.values().next().value;
      if (oldest !== undefined) this.#handled.delete(oldest);
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#undo();
    for (const playing of this.#playing.values()) clearTimeout(playing.timer);
    this.#playing.clear();
    this.#hands.clear();
    this.removeAllListeners();
  }
}

function readMembership(m: CallMembership): Membership | undefined {
  try {
    const { eventId, userId, deviceId } = m;
    const identity = m.rtcBackendIdentity;
    if (typeof eventId !== 'string' || !eventId) return undefined;
    if (typeof userId !== 'string' || typeof deviceId !== 'string' || !userId || !deviceId)
      return undefined;
    if (typeof identity !== 'string' || !identity) return undefined;
    return { eventId, userId, deviceId, identity };
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The first user-perceived character of `value`, as Element Call shows an unknown reaction. */
function firstGrapheme(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.slice(0, 256);
  const first = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    .segment(text)
    [Symbol.iterator]()
    .next().value?.segment;
  const trimmed = first?.trim();
  return trimmed && trimmed.length <= MAX_EMOJI_LENGTH ? trimmed : undefined;
}

function safeType(event: MatrixEvent): string {
  try {
    return event.getType().slice(0, 100);
  } catch {
    return 'unknown';
  }
}
