import {
  EventType,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import type { IncomingCallNotification } from './types.js';

/** MSC4075 call notification, as matrix-js-sdk and Element Call send it today. */
export const CALL_NOTIFICATION_EVENT = 'org.matrix.msc4075.rtc.notification';

/** Receivers cap the lifetime; senders default to 30–90 s. */
const MAX_LIFETIME_MS = 120_000;
/** A sender clock this far ahead of the server is not trusted. */
const MAX_SENDER_AHEAD_MS = 20_000;

/**
 * Reads an incoming call notification. Returns `undefined` for anything not
 * addressed to us, expired, our own, or malformed; it never throws.
 */
export function parseIncomingNotification(
  event: Pick<MatrixEvent, 'getContent' | 'getSender' | 'getId' | 'getTs' | 'getRoomId'>,
  room: Pick<Room, 'roomId' | 'getMember'>,
  ownUserId: string,
  now = Date.now(),
): IncomingCallNotification | undefined {
  try {
    const content = event.getContent<Record<string, unknown>>();
    const sender = event.getSender();
    const eventId = event.getId();
    if (!sender || !eventId || sender === ownUserId) return undefined;
    const type = content['notification_type'];
    const senderTs = content['sender_ts'];
    const lifetime = content['lifetime'];
    if (
      (type !== 'ring' && type !== 'notification') ||
      typeof senderTs !== 'number' ||
      typeof lifetime !== 'number'
    ) {
      return undefined;
    }
    const mentions = content['m.mentions'] as { room?: unknown; user_ids?: unknown } | undefined;
    const mentioned =
      mentions?.room === true ||
      (Array.isArray(mentions?.user_ids) && mentions.user_ids.includes(ownUserId));
    if (!mentioned) return undefined;
    const originTs = event.getTs();
    const base = senderTs - originTs > MAX_SENDER_AHEAD_MS ? originTs : senderTs;
    const expiresAt = base + Math.min(Math.max(0, lifetime), MAX_LIFETIME_MS);
    if (expiresAt <= now) return undefined;
    const intent = content['m.call.intent'];
    return {
      eventId,
      roomId: room.roomId,
      sender,
      senderName: room.getMember(sender)?.name ?? sender,
      type,
      intent: intent === 'audio' || intent === 'video' ? intent : undefined,
      expiresAt,
    };
  } catch {
    return undefined;
  }
}

/**
 * What a call we start sends, as Element Web asks Element Call to: a ring in a direct chat
 * (the room is in our `m.direct` account data), a notification in any other room.
 */
export function notificationTypeFor(
  client: Pick<MatrixClient, 'getAccountData'>,
  roomId: string,
): 'ring' | 'notification' {
  try {
    const direct: unknown = client.getAccountData(EventType.Direct)?.getContent();
    if (direct && typeof direct === 'object') {
      for (const rooms of Object.values(direct as Record<string, unknown>))
        if (Array.isArray(rooms) && rooms.includes(roomId)) return 'ring';
    }
  } catch {
    // unreadable account data: not a direct chat
  }
  return 'notification';
}
