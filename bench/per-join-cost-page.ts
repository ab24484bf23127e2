// Page side of bench/per-join-cost.ts: the CPU cost, on a client already in a call of N, of
// one more member joining. The core's real code runs (matrix-js-sdk's Room, MatrixRTCSession
// and key transport, our CallParts and buildSnapshot, our elements); what a server would do
// is simulated: state events and to-device keys are fed to the client as /sync would, and
// its requests get an empty success.
import { ClientEvent, createClient, MatrixEvent, Room, type MatrixClient } from 'matrix-js-sdk';
import { MatrixRTCSessionEvent } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { RoomStateEvent } from 'matrix-js-sdk/lib/models/room-state.js';
import { html, render } from 'lit';
import { createCallParts, type CallParts } from '../src/core/call-parts.js';
import { CallReactionsEvent } from '../src/core/call-reactions.js';
import { DiagnosticsLog } from '../src/core/diagnostics.js';
import { HomeserverLinkEvent } from '../src/core/homeserver-link.js';
import { IncomingCallsEvent } from '../src/core/incoming-calls.js';
import { MediaEncryptionEvent } from '../src/core/media-encryption.js';
import { MemberGraceEvent } from '../src/core/member-grace.js';
import { NoShowsEvent } from '../src/core/no-shows.js';
import type { ParticipantMedia } from '../src/core/participant-media.js';
import { RoomCallEvent } from '../src/core/room-call.js';
import { RoomProfilesEvent } from '../src/core/room-profiles.js';
import { SfuConnectionsEvent } from '../src/core/sfu-connections.js';
import { buildSnapshot } from '../src/core/snapshot.js';
import { CallPhase, SessionStatus, type CallParticipant } from '../src/core/types.js';
import '../src/define.js';
import type { CallGridElement } from '../src/elements/call-grid/call-grid.js';
import {
  FakeCallSession,
  fakeAudioTrack,
  fakeParticipant,
} from '../test/browser/fake-call-session.js';

const ROOM = '!bench:example.org';
const ME = '@me:example.org';
const SFU = 'https://sfu.example.org';
const JOINER = (n: number) => `@u${n}:example.org`;
const now = () => performance.now();

/** Every request succeeds with what matrix-js-sdk needs from it. */
const fetchFn = (url: string | URL | Request): Promise<Response> => {
  const path = String(url instanceof Request ? url.url : url);
  const body = /delayed_events|org\.matrix\.msc4140\.delay/.test(path)
    ? { delay_id: `d${String(Math.random())}` }
    : /\/state\/|\/send\//.test(path)
      ? { event_id: `$e${String(Math.random())}` }
      : {};
  return Promise.resolve(
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    }),
  );
};

let eventCounter = 0;
const stateEvent = (type: string, stateKey: string, sender: string, content: object) =>
  new MatrixEvent({
    type,
    state_key: stateKey,
    sender,
    content,
    room_id: ROOM,
    event_id: `$ev${String(++eventCounter)}`,
    origin_server_ts: Date.now(),
  });

const memberEvent = (userId: string) =>
  stateEvent('m.room.member', userId, userId, { membership: 'join', displayname: userId });

/** A per-device membership as Element Call sends it. */
const callMemberEvent = (userId: string, deviceId: string) =>
  stateEvent('org.matrix.msc3401.call.member', `_${userId}_${deviceId}_m.call`, userId, {
    application: 'm.call',
    call_id: '',
    scope: 'm.room',
    device_id: deviceId,
    expires: 4 * 3600_000,
    focus_active: { type: 'livekit', focus_selection: 'oldest_membership' },
    foci_preferred: [{ type: 'livekit', livekit_service_url: SFU, livekit_alias: ROOM }],
    membershipID: `${userId}:${deviceId}`,
    'm.call.intent': 'video',
  });

const leaveEvent = (userId: string, deviceId: string) =>
  stateEvent('org.matrix.msc3401.call.member', `_${userId}_${deviceId}_m.call`, userId, {});

const media = (): ParticipantMedia => ({
  speaking: false,
  audioLevel: 0,
  connectionQuality: 'good',
  microphoneEnabled: true,
  cameraEnabled: true,
  screenShareEnabled: false,
  cameraTrack: undefined,
  microphoneTrack: undefined,
  screenShareTrack: undefined,
  screenShareAudioTrack: undefined,
});

function keyBase64(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

interface Call {
  client: MatrixClient;
  room: Room;
  parts: CallParts;
  log: DiagnosticsLog;
  /** Snapshots built since the counter was reset, and the time they took. */
  snapshots: { count: number; ms: number[]; joins: number };
  sfuRemotes: Map<string, ParticipantMedia>;
  sent: { messages: number; devices: number };
  marks: Record<string, number>;
}

/** A client of ours in a call of `n` (itself included), joined with per-participant keys. */
async function setUp(n: number): Promise<Call> {
  const client = createClient({
    baseUrl: 'https://hs.example.org',
    userId: ME,
    deviceId: 'ME',
    fetchFn,
  });
  const room = new Room(ROOM, client, ME);
  client.store.storeRoom(room);
  // What the sync loop does for every room.
  client.reEmitter.reEmit(room, [RoomStateEvent.Events, RoomStateEvent.Members]);
  client.matrixRTC.start();
  const sent = { messages: 0, devices: 0 };
  // Olm stands in here: count what would be encrypted, for which devices.
  client.encryptAndSendToDevice = (_type, devices) => {
    sent.messages += 1;
    sent.devices += devices.length;
    return Promise.resolve();
  };
  const crypto = {
    getUserDeviceInfo: (users: string[]) =>
      Promise.resolve(new Map(users.map((u) => [u, new Map([[u === ME ? 'ME' : 'D', {}]])]))),
    prepareToEncrypt: () => undefined,
  };
  (client as unknown as { getCrypto: () => unknown }).getCrypto = () => crypto;
  const others = Array.from({ length: n - 1 }, (_, i) => JOINER(i + 1));
  await room.addLiveEvents(
    [
      stateEvent('m.room.create', '', ME, { creator: ME, room_version: '10' }),
      stateEvent('m.room.encryption', '', ME, { algorithm: 'm.megolm.v1.aes-sha2' }),
      memberEvent(ME),
      ...others.map(memberEvent),
      memberEvent(JOINER(n)),
      ...others.map((u) => callMemberEvent(u, 'D')),
    ],
    { addToState: true },
  );
  const log = new DiagnosticsLog();
  const marks: Record<string, number> = {};
  // Registered before the core's listeners, and after them (below): the core's share is between.
  room.on(RoomStateEvent.Events, () => (marks['stateIn'] = now()));
  const rtc = client.matrixRTC.getRoomSession(room);
  rtc.on(MatrixRTCSessionEvent.MembershipsChanged, () => (marks['rtcIn'] = now()));
  const parts = createCallParts({
    matrix: {
      client,
      userId: ME,
      deviceId: 'ME',
      homeserver: 'https://hs.example.org',
      owned: true,
      widget: false,
    },
    room,
    options: { source: { kind: 'client', client } as never, room: ROOM },
    log,
    inCall: () => true,
  });
  room.on(RoomStateEvent.Events, () => (marks['stateOut'] = now()));
  rtc.on(MatrixRTCSessionEvent.MembershipsChanged, () => (marks['rtcOut'] = now()));
  await parts.encryption.createKeyProvider();
  const sfuRemotes = new Map(others.map((u) => [`${u}:D`, media()]));
  const call: Call = {
    client,
    room,
    parts,
    log,
    snapshots: { count: 0, ms: [], joins: 0 },
    sfuRemotes,
    sent,
    marks,
  };
  followLikeCallSession(call);
  const joined = parts.roomCall.join(
    {
      serviceUrl: SFU,
      roomId: ROOM,
      memberId: `${ME}:ME`,
      encryption: 'per-participant',
      intent: 'video',
      notify: undefined,
      // Every join rotates the key, as when joins are more than 10 s apart.
      timing: { useKeyDelayMs: 0, keyRotationGracePeriodMs: 0 },
    },
    new AbortController().signal,
  );
  await room.addLiveEvents([callMemberEvent(ME, 'ME')], { addToState: true });
  await joined;
  await settle();
  return call;
}

/** CallSession's snapshot batching (one per microtask) over the same events it follows. */
function followLikeCallSession(call: Call): void {
  const { parts } = call;
  let queued = false;
  let shown = new Map<string, CallParticipant>();
  const changed = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      const t0 = now();
      const s = buildSnapshot({
        status: SessionStatus.Ready,
        phase: CallPhase.Connected,
        phaseSince: 0,
        error: undefined,
        self: { userId: ME, deviceId: 'ME' },
        room: parts.profiles.summary(),
        encryption: parts.encryption.mode,
        members: parts.noShows.visible(parts.grace.members),
        profileOf: (u) => parts.profiles.of(u),
        encryptionOf: (id) => parts.encryption.stateOf(id),
        local: FakeCallSession.ready().snapshot.local,
        devices: { audioinput: [], videoinput: [], audiooutput: [] },
        sfuLocal: { speaking: false, connectionQuality: 'good', screenShareTrack: undefined },
        sfuRemotes: call.sfuRemotes,
        incoming: undefined,
        homeserverReachable: true,
        reactionsOf: (id) => parts.reactions.of(id),
      });
      const next = new Map(s.participants.map((p) => [p.id, p]));
      // CallSession tells who joined by comparing with the last snapshot.
      for (const id of next.keys()) if (!shown.has(id)) call.snapshots.joins++;
      shown = next;
      call.snapshots.ms.push(now() - t0);
      call.snapshots.count++;
    });
  };
  parts.profiles.on(RoomProfilesEvent.Changed, changed);
  parts.encryption.on(MediaEncryptionEvent.Changed, changed);
  parts.connections.on(SfuConnectionsEvent.Changed, changed);
  parts.roomCall.on(RoomCallEvent.MembersChanged, changed);
  parts.incoming.on(IncomingCallsEvent.Changed, changed);
  parts.homeserverLink.on(HomeserverLinkEvent.Changed, changed);
  parts.grace.on(MemberGraceEvent.Changed, changed);
  parts.noShows.on(NoShowsEvent.Changed, changed);
  parts.reactions.on(CallReactionsEvent.Changed, changed);
}

/** The next task, without setTimeout's 4 ms clamp (that would count as cost). */
const nextTask = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      resolve();
    };
    channel.port2.postMessage(null);
  });

/** Lets promises, crypto digests and queued tasks run out. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await nextTask();
}

/** What one join costs this client, per stage. */
interface JoinCost {
  /** Room state update, as far as matrix-js-sdk's own listeners go. */
  sdkState: number;
  /** Our listeners on room state events (legacy memberships, reactions, incoming calls). */
  ourState: number;
  /** matrix-js-sdk parsing every membership again, to MembershipsChanged. */
  sdkMemberships: number;
  /** Our member list: RoomCall, grace, no-shows, SFU subscriptions, reactions. */
  ourMembers: number;
  /** Our key sends: messages and target devices. */
  keySends: number;
  keyDevices: number;
  /** Receiving one rotated key from each of the others: matrix-js-sdk and our code, all of it. */
  keysIn: number;
  /** Snapshots built for this join, and their total build time. */
  snapshots: number;
  snapshotMs: number;
}

async function oneJoin(call: Call, n: number, rounds: number): Promise<JoinCost[]> {
  const joiner = JOINER(n);
  const out: JoinCost[] = [];
  const { marks, room } = call;
  const rtc = call.client.matrixRTC.getRoomSession(room);
  const others = Array.from({ length: n - 1 }, (_, i) => JOINER(i + 1));
  for (let r = 0; r < rounds; r++) {
    call.snapshots = { count: 0, ms: [], joins: 0 };
    call.sent.messages = 0;
    call.sent.devices = 0;
    const changedOnce = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`round ${String(r)}: the join changed no membership`));
      }, 20_000);
      rtc.once(MatrixRTCSessionEvent.MembershipsChanged, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const t0 = now();
    const added = room.addLiveEvents([callMemberEvent(joiner, 'D')], { addToState: true });
    const tState = now();
    await added;
    await changedOnce;
    const tMembers = marks['rtcOut'] ?? now();
    // Its media arrives on the SFU: one more remote participant.
    call.sfuRemotes.set(`${joiner}:D`, media());
    await settle();
    const keyDevices = call.sent.devices;
    const keySends = call.sent.messages;
    // Everyone rotates and sends us their new key, as /sync delivers it.
    const k0 = now();
    const received = receiveKeys(call, [...others, joiner]);
    await received;
    await settle();
    const keysIn = now() - k0;
    out.push({
      sdkState: (marks['stateIn'] ?? tState) - t0,
      ourState: (marks['stateOut'] ?? tState) - (marks['stateIn'] ?? tState),
      sdkMemberships: (marks['rtcIn'] ?? tMembers) - tState,
      ourMembers: (marks['rtcOut'] ?? tMembers) - (marks['rtcIn'] ?? tMembers),
      keySends,
      keyDevices,
      keysIn,
      snapshots: call.snapshots.count,
      snapshotMs: call.snapshots.ms.reduce((a, b) => a + b, 0),
    });
    // Back to N: the joiner leaves (not measured).
    call.sfuRemotes.delete(`${joiner}:D`);
    await room.addLiveEvents([leaveEvent(joiner, 'D')], { addToState: true });
    // Its recalculation must be over, or the next join folds into it and changes nothing.
    await rtc.ensureRecalculateSessionMembers();
    await settle();
  }
  return out;
}

let keyIndex = 0;
/**
 * One rotated key from each sender, each in a /sync response of its own (the others send
 * when they each see the join): to-device event, then our provenance, as sync emits them.
 */
async function receiveKeys(call: Call, senders: string[]): Promise<void> {
  const { client, log } = call;
  // Counted as logged: the log is bounded, so counting its entries stops working.
  let arrived = 0;
  const stop = log.onEntry((e) => {
    if (e.message === 'media key received') arrived++;
  });
  const index = (keyIndex = (keyIndex + 1) % 256);
  for (const sender of senders) {
    const content = {
      keys: { index, key: keyBase64() },
      room_id: ROOM,
      member: { claimed_device_id: 'D', id: `${sender}:D` },
      session: { call_id: '', application: 'm.call', scope: 'm.room' },
      sent_ts: Date.now(),
    };
    const message = { type: 'io.element.call.encryption_keys', sender, content };
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    client.emit(ClientEvent.ToDeviceEvent, new MatrixEvent({ ...message }));
    client.emit(ClientEvent.ReceivedToDeviceMessage, {
      message,
      encryptionInfo: {
        sender,
        senderDevice: 'D',
        senderVerified: false,
        senderCurve25519KeyBase64: '',
      },
    } as never);
    await nextTask();
  }
  try {
    for (let i = 0; i < 20_000; i++) {
      if (arrived >= senders.length) return;
      await nextTask();
    }
  } finally {
    stop();
  }
  throw new Error('keys did not all arrive');
}

/** Read layout into this, so the engine must compute it. */
let layoutSink = 0;

/** The grid and the audio of a call of n, updated as the core would: one snapshot per change. */
async function renderCost(
  n: number,
  rounds: number,
): Promise<{ join: number[]; update: number[] }> {
  const session = FakeCallSession.inCall(
    Array.from({ length: n - 1 }, (_, i) =>
      fakeParticipant(i + 1, { microphoneTrack: fakeAudioTrack() }),
    ),
  );
  const host = document.createElement('div');
  host.style.cssText = 'width:1280px;height:720px;display:flex;flex-direction:column';
  document.body.append(host);
  render(
    html`<call-grid style="flex:1" page-size="9" .session=${session}></call-grid>
      <call-audio .session=${session}></call-audio>`,
    host,
  );
  const grid = host.querySelector('call-grid') as CallGridElement;
  const audio = host.querySelector('call-audio') as HTMLElement & {
    updateComplete: Promise<unknown>;
  };
  await grid.updateComplete;
  await audio.updateComplete;
  const joiner = fakeParticipant(n, { microphoneTrack: fakeAudioTrack() });
  const base = session.snapshot.participants;
  const join: number[] = [];
  const update: number[] = [];
  const measure = async (participants: CallParticipant[]) => {
    const t0 = now();
    session.set({ participants });
    await grid.updateComplete;
    await audio.updateComplete;
    // Style and layout of what changed, as the next frame would do.
    layoutSink += host.getBoundingClientRect().width;
    layoutSink += grid.shadowRoot?.querySelector('call-tile')?.getBoundingClientRect().width ?? 0;
    return now() - t0;
  };
  for (let r = 0; r < rounds; r++) {
    // A snapshot with one more participant (new objects for all, as buildSnapshot makes).
    join.push(await measure([...base, joiner].map((p) => ({ ...p }))));
    // A snapshot with the same participants (a key arrived, someone's level changed).
    update.push(await measure([...base, joiner].map((p) => ({ ...p }))));
    await measure(base.map((p) => ({ ...p })));
  }
  render(html``, host);
  host.remove();
  return { join, update };
}

const bench = {
  async core(n: number, rounds: number): Promise<JoinCost[]> {
    const call = await setUp(n);
    const members = call.parts.roomCall.members.length;
    if (members !== n) throw new Error(`expected ${String(n)} members, read ${String(members)}`);
    await oneJoin(call, n, 3); // warm-up
    const out = await oneJoin(call, n, rounds);
    call.parts.dispose();
    call.client.matrixRTC.stop();
    return out;
  },
  render: renderCost,
  layoutSink: () => layoutSink,
};

(window as unknown as { bench: typeof bench }).bench = bench;
