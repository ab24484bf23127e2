/**
 * Plain client-server API calls for the e2e suites: what a test (or a hostile room member,
 * who needs no client at all) reads from and writes to a room directly.
 */
import type { ProvisionedUser } from '../../stack/provision.js';

export const CALL_MEMBER = 'org.matrix.msc3401.call.member';

interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
  origin_server_ts?: number;
}

async function api(
  user: Pick<ProvisionedUser, 'homeserverUrl' | 'accessToken'>,
  method: string,
  path: string,
  body?: unknown,
  version = 'v3',
): Promise<unknown> {
  const response = await fetch(`${user.homeserverUrl}/_matrix/client/${version}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json: unknown = await response.json();
  if (!response.ok) throw new Error(`${method} ${path.split('/')[1]}: HTTP ${response.status}`);
  return json;
}

/** The call memberships with content in the room's state now: `sender|state key` each. */
export async function liveMemberships(reader: ProvisionedUser, roomId: string): Promise<string[]> {
  const state = (await api(
    reader,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/state`,
  )) as StateEvent[];
  return state
    .filter((e) => e.type === CALL_MEMBER && Object.keys(e.content).length > 0)
    .map((e) => `${e.sender}|${e.state_key}`)
    .sort();
}

/**
 * How many call membership events (joins, re-sends and leaves) each user sent in the room:
 * a steady member sends one per join and one per leave, so any more is a flap.
 */
export async function membershipEventCounts(
  reader: ProvisionedUser,
  roomId: string,
): Promise<Record<string, number>> {
  const filter = encodeURIComponent(JSON.stringify({ types: [CALL_MEMBER] }));
  const { chunk } = (await api(
    reader,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000&filter=${filter}`,
  )) as { chunk: StateEvent[] };
  const counts: Record<string, number> = {};
  for (const e of chunk) counts[e.sender] = (counts[e.sender] ?? 0) + 1;
  return counts;
}

/**
 * The call membership events in order, one line each (`+12.3 s @alice:… join|leave`), for an
 * assertion message: a count alone doesn't say which join or leave was one too many.
 */
export async function membershipTimeline(reader: ProvisionedUser, roomId: string): Promise<string> {
  const filter = encodeURIComponent(JSON.stringify({ types: [CALL_MEMBER] }));
  const { chunk } = (await api(
    reader,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/messages?dir=f&limit=1000&filter=${filter}`,
  )) as { chunk: StateEvent[] };
  const first = chunk[0]?.origin_server_ts ?? 0;
  return chunk
    .map((e) => {
      const at = (((e.origin_server_ts ?? first) - first) / 1000).toFixed(1);
      const kind = Object.keys(e.content).length > 0 ? 'join' : 'leave';
      return `+${at} s ${e.sender} ${kind}`;
    })
    .join('\n');
}

/**
 * `userId`'s live call membership in the room, if there is one, and when it counts from
 * (its `created_ts`, else the event's own time).
 */
export async function membershipOf(
  reader: ProvisionedUser,
  roomId: string,
  userId: string,
): Promise<{ content: Record<string, unknown>; createdTs: number | undefined } | undefined> {
  const state = (await api(
    reader,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/state`,
  )) as StateEvent[];
  const event = state.find(
    (e) => e.type === CALL_MEMBER && e.sender === userId && Object.keys(e.content).length > 0,
  );
  if (!event) return undefined;
  const created = event.content['created_ts'];
  return {
    content: event.content,
    createdTs: typeof created === 'number' ? created : event.origin_server_ts,
  };
}

const DELAYED = 'org.matrix.msc4140/delayed_events';

/**
 * Makes the homeserver send `user`'s delayed call-membership leaves in the room now, as it
 * does when their restarts stop reaching it. Returns how many it sent.
 */
export async function sendDelayedLeavesNow(user: ProvisionedUser, roomId: string): Promise<number> {
  const { delayed_events: scheduled } = (await api(
    user,
    'GET',
    `/${DELAYED}`,
    undefined,
    'unstable',
  )) as {
    delayed_events: { delay_id: string; room_id: string; type: string }[];
  };
  const ours = scheduled.filter((e) => e.room_id === roomId && e.type === CALL_MEMBER);
  for (const e of ours)
    await api(user, 'POST', `/${DELAYED}/${encodeURIComponent(e.delay_id)}/send`, {}, 'unstable');
  return ours.length;
}

/** Writes a state event as `user` (power level 0 may write call memberships under any key). */
export async function putState(
  user: ProvisionedUser,
  roomId: string,
  type: string,
  stateKey: string,
  content: Record<string, unknown>,
): Promise<void> {
  await api(
    user,
    'PUT',
    `/rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`,
    content,
  );
}

/** Sets the user's display name, as any member may. */
export async function setDisplayName(user: ProvisionedUser, name: string): Promise<void> {
  await api(user, 'PUT', `/profile/${encodeURIComponent(user.userId)}/displayname`, {
    displayname: name,
  });
}

/** Sends one to-device message in clear (no Olm), as a homeserver could forge it. */
export async function sendPlainToDevice(
  sender: { homeserverUrl: string; accessToken: string },
  type: string,
  to: { userId: string; deviceId: string },
  content: Record<string, unknown>,
): Promise<void> {
  await api(sender, 'PUT', `/sendToDevice/${type}/forged-${Date.now()}-${Math.random()}`, {
    messages: { [to.userId]: { [to.deviceId]: content } },
  });
}

/** A membership in Element Call's format, for `deviceId`, naming the SFU at `serviceUrl`. */
export function membershipContent(
  user: ProvisionedUser,
  deviceId: string,
  serviceUrl: string,
  roomId: string,
): Record<string, unknown> {
  return {
    application: 'm.call',
    call_id: '',
    scope: 'm.room',
    device_id: deviceId,
    expires: 14_400_000,
    'm.call.intent': 'video',
    focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
    foci_preferred: [{ type: 'livekit', livekit_service_url: serviceUrl, livekit_alias: roomId }],
    membershipID: `${user.userId}:${deviceId}`,
  };
}
