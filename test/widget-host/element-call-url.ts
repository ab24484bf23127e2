/**
 * The URL Element Web gives the Element Call widget (see docs/matrixrtc-protocol.md §6):
 * `widgetId` and `parentUrl` in the query, everything else in the `#?` fragment.
 */
export interface ElementCallUrlOptions {
  /** Where Element Call's `index.html` is served. */
  base: string;
  widgetId: string;
  /** The host page's URL without its fragment. */
  parentUrl: string;
  roomId: string;
  userId: string;
  deviceId: string;
  /** The homeserver's client API base URL. */
  baseUrl: string;
  /** True for a room with `m.room.encryption` (Element Web's rule). */
  perParticipantE2EE: boolean;
  /** `start_call` when nobody is in the call yet, else `join_existing`. */
  intent: 'start_call' | 'join_existing';
  /** Shared-secret E2EE: the same secret for everyone in the call. */
  password?: string;
  /** Extra or overridden parameters. */
  extra?: Record<string, string>;
}

export function elementCallUrl(o: ElementCallUrlOptions): string {
  const url = new URL(o.base);
  url.searchParams.set('widgetId', o.widgetId);
  url.searchParams.set('parentUrl', o.parentUrl);
  const params = new URLSearchParams({
    confineToRoom: 'true',
    skipLobby: 'false',
    returnToLobby: 'false',
    intent: o.intent,
    perParticipantE2EE: String(o.perParticipantE2EE),
    header: 'none',
    userId: o.userId,
    deviceId: o.deviceId,
    roomId: o.roomId,
    baseUrl: o.baseUrl,
    lang: 'en',
    fontScale: '1',
    theme: 'light',
    sendNotificationType: 'notification',
    preload: 'false',
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...o.extra,
  });
  url.hash = `?${params.toString()}`;
  return url.toString();
}
