/**
 * The test host page: signs in with a password, starts a MatrixClient with Rust crypto (as
 * Element Web does), then shows a widget (Element Call) for one room through WidgetHost.
 * Tests drive it with `window.__host` from playwright; no token ever leaves the page.
 */
import { ClientEvent, SyncState, createClient, type MatrixClient } from 'matrix-js-sdk';
import { WidgetHost, type HostRecord } from './widget-host.js';
import { elementCallUrl } from './element-call-url.js';

export interface HostStartOptions {
  homeserver: string;
  username: string;
  password: string;
  roomId: string;
  /** Where the widget's index.html is, e.g. `<origin>/element-call/index.html`. */
  widgetBase: string;
  /** Shared-secret E2EE (Element Call's `password` parameter). */
  secret?: string;
  /** RegExp sources of capabilities to refuse. */
  deny?: string[];
  extra?: Record<string, string>;
}

export interface HostInfo {
  userId: string;
  deviceId: string;
  intent: string;
  url: string;
}

interface HostApi {
  start(options: HostStartOptions): Promise<HostInfo>;
  /** Replaces the widget with a new one (same client and device), e.g. to rejoin. */
  restartWidget(): HostInfo;
  records: HostRecord[];
  send(action: string, data?: Record<string, unknown>): Promise<unknown>;
  /** Decrypted room events of a type, oldest first (as the host's client sees them). */
  events(type: string): { sender: string; content: unknown; id: string; ts: number }[];
  stop(): Promise<void>;
}

declare global {
  interface Window {
    __host: HostApi;
  }
}

let client: MatrixClient | undefined;
let host: WidgetHost | undefined;
let roomId = '';
let options: HostStartOptions | undefined;
const records: HostRecord[] = [];

async function signIn(homeserver: string, username: string, password: string) {
  const anonymous = createClient({ baseUrl: homeserver });
  const login = await anonymous.loginRequest({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: username },
    password,
    initial_device_display_name: 'widget host',
  });
  anonymous.stopClient();
  return login;
}

async function start(o: HostStartOptions): Promise<HostInfo> {
  roomId = o.roomId;
  const login = await signIn(o.homeserver, o.username, o.password);
  const c = createClient({
    baseUrl: o.homeserver,
    userId: login.user_id,
    deviceId: login.device_id,
    accessToken: login.access_token,
  });
  client = c;
  // In memory: every page is a fresh device, nothing is left in IndexedDB between tests.
  await c.initRustCrypto({ useIndexedDB: false });
  const synced = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        c.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) reject(new Error('first sync failed'));
    };
    c.on(ClientEvent.Sync, onSync);
  });
  await c.startClient({ initialSyncLimit: 20 });
  await synced;
  options = o;
  return showWidget();
}

/** A new widget for the room on the same client and device (as Element Web does per call). */
function showWidget(): HostInfo {
  const c = client;
  const o = options;
  if (!c || !o) throw new Error('not started');
  host?.stop();
  const room = c.getRoom(o.roomId);
  if (!room) throw new Error(`not joined to ${o.roomId}`);
  const userId = c.getSafeUserId();
  const deviceId = c.getDeviceId() ?? '';
  const inCall = c.matrixRTC.getRoomSession(room).memberships.length > 0;
  const intent = inCall ? 'join_existing' : 'start_call';
  const widgetId = `ec-${Math.random().toString(36).slice(2, 12)}`;
  const url = elementCallUrl({
    base: o.widgetBase,
    widgetId,
    parentUrl: location.href.split('#')[0] ?? location.href,
    roomId: o.roomId,
    userId,
    deviceId,
    baseUrl: o.homeserver,
    perParticipantE2EE: room.hasEncryptionStateEvent(),
    intent,
    ...(o.secret !== undefined ? { password: o.secret } : {}),
    ...(o.extra ? { extra: o.extra } : {}),
  });
  const container = document.getElementById('widget');
  if (!container) throw new Error('no #widget');
  host = new WidgetHost({
    client: c,
    roomId: o.roomId,
    url,
    widgetId,
    container,
    deny: (o.deny ?? []).map((source) => new RegExp(source)),
    record: (entry) => records.push(entry),
  });
  return { userId, deviceId, intent, url };
}

window.__host = {
  start,
  restartWidget: showWidget,
  records,
  send: (action, data) => {
    if (!host) throw new Error('no widget');
    return host.send(action, data);
  },
  events: (type) =>
    (client?.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [])
      .filter((e) => e.getType() === type)
      .map((e) => ({
        sender: e.getSender() ?? '',
        content: e.getContent(),
        id: e.getId() ?? '',
        ts: e.getTs(),
      })),
  stop: () => {
    host?.stop();
    client?.stopClient();
    return Promise.resolve();
  },
};
