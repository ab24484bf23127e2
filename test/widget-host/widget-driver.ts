/**
 * The host side of the widget API over a started MatrixClient (Rust crypto): what a widget may
 * do in the room it is shown in. Framework-free and DOM-free, so that a later host for
 * <matrix-call> itself can reuse it as is.
 *
 * Every request the widget makes is handed to `record` (event types, state keys, delays, to-device
 * targets and contents; never an OpenID token), so tests can compare what a widget sends with
 * what <matrix-call> sends.
 */
import {
  WidgetDriver,
  OpenIDRequestState,
  type Capability,
  type IOpenIDUpdate,
  type IRoomEvent,
  type ISendDelayedEventDetails,
  type ISendEventDetails,
  type IRtcTransportsResult,
  type ITurnServer,
  type IWidgetApiErrorResponseDataDetails,
  type SimpleObservable,
} from 'matrix-widget-api';
import {
  EventTimeline,
  MatrixError,
  type MatrixClient,
  type MatrixEvent,
  type TimelineEvents,
} from 'matrix-js-sdk';

/** One thing the widget asked of the host, as the tests read it back. */
export interface DriverRecord {
  at: number;
  kind:
    | 'capabilities'
    | 'send-event'
    | 'send-state'
    | 'send-sticky'
    | 'send-delayed'
    | 'update-delayed'
    | 'send-to-device'
    | 'openid'
    | 'rtc-transports'
    | 'error';
  type?: string;
  stateKey?: string;
  delayMs?: number;
  stickyMs?: number;
  delayId?: string;
  action?: 'cancel' | 'restart' | 'send';
  encrypted?: boolean;
  /** `user|device` of each to-device target. */
  targets?: string[];
  content?: unknown;
  requested?: string[];
  granted?: string[];
  error?: string;
}

export interface WidgetDriverOptions {
  client: MatrixClient;
  /** The room the widget is shown in: where requests without a room go. */
  roomId: string;
  /**
   * Capabilities to refuse: exact strings, or patterns (e.g. `/^org\.matrix\.msc4157/` for
   * delayed events, `/to_device/` for to-device messages). Everything else asked for is granted.
   */
  deny?: readonly (string | RegExp)[];
  record?: (entry: DriverRecord) => void;
}

/** A copy without secrets: media key bytes and tokens become their length. */
export function redacted(value: unknown, parent = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redacted(v, parent));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      typeof v === 'string' && isSecretField(k, parent) ? `<${v.length} chars>` : redacted(v, k),
    ]),
  );
}

/**
 * Tokens and delayed-event IDs (whoever has one can send or cancel the event) anywhere; `key`
 * only as a media key (`keys.key`), not e.g. a reaction's key.
 */
export function isSecretField(key: string, parent: string): boolean {
  return (
    /^(access_token|jwt|password|refresh_token|delay_id)$/.test(key) ||
    (key === 'key' && parent === 'keys')
  );
}

/** The raw event as a widget should see it: decrypted type and content. */
export function widgetEventOf(event: MatrixEvent): IRoomEvent {
  return event.getEffectiveEvent() as unknown as IRoomEvent;
}

export class MatrixClientWidgetDriver extends WidgetDriver {
  private readonly client: MatrixClient;
  private readonly roomId: string;
  private readonly deny: readonly (string | RegExp)[];
  private readonly record: (entry: DriverRecord) => void;

  constructor(options: WidgetDriverOptions) {
    super();
    this.client = options.client;
    this.roomId = options.roomId;
    this.deny = options.deny ?? [];
    this.record = options.record ?? (() => undefined);
  }

  private log(entry: Omit<DriverRecord, 'at'>): void {
    this.record({
      at: Date.now(),
      ...entry,
      ...('content' in entry ? { content: redacted(entry.content) } : {}),
    });
  }

  private denied(capability: string): boolean {
    return this.deny.some((d) => (typeof d === 'string' ? d === capability : d.test(capability)));
  }

  override validateCapabilities(requested: Set<Capability>): Promise<Set<Capability>> {
    const granted = new Set([...requested].filter((c) => !this.denied(c)));
    this.log({ kind: 'capabilities', requested: [...requested], granted: [...granted] });
    return Promise.resolve(granted);
  }

  private room(roomId?: string | null): string {
    return roomId ?? this.roomId;
  }

  override async sendEvent(
    eventType: string,
    content: unknown,
    stateKey?: string | null,
    roomId?: string | null,
  ): Promise<ISendEventDetails> {
    const room = this.room(roomId);
    const body = content as Record<string, unknown>;
    if (stateKey !== undefined && stateKey !== null) {
      this.log({ kind: 'send-state', type: eventType, stateKey, content });
      // The js-sdk's typed overloads know only spec'd state types.
      const sendState = this.client.sendStateEvent.bind(this.client) as (
        r: string,
        t: string,
        c: Record<string, unknown>,
        k: string,
      ) => Promise<{ event_id: string }>;
      const { event_id } = await sendState(room, eventType, body, stateKey);
      return { roomId: room, eventId: event_id };
    }
    this.log({ kind: 'send-event', type: eventType, content });
    // The js-sdk's typed overloads know only spec'd event types.
    const { event_id } = await this.client.sendEvent(
      room,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- any widget event type
      eventType as keyof TimelineEvents,
      body as never,
    );
    return { roomId: room, eventId: event_id };
  }

  override async sendStickyEvent(
    stickyDurationMs: number,
    eventType: string,
    content: unknown,
    roomId?: string | null,
  ): Promise<ISendEventDetails> {
    const room = this.room(roomId);
    this.log({ kind: 'send-sticky', type: eventType, stickyMs: stickyDurationMs, content });
    const send = this.client._unstable_sendStickyEvent.bind(this.client) as (
      r: string,
      d: number,
      thread: null,
      t: string,
      c: Record<string, unknown>,
    ) => Promise<{ event_id: string }>;
    const { event_id } = await send(
      room,
      stickyDurationMs,
      null,
      eventType,
      content as Record<string, unknown>,
    );
    return { roomId: room, eventId: event_id };
  }

  override async sendDelayedEvent(
    delay: number,
    eventType: string,
    content: unknown,
    stateKey?: string | null,
    roomId?: string | null,
  ): Promise<ISendDelayedEventDetails> {
    const room = this.room(roomId);
    const body = content as Record<string, unknown>;
    this.log({
      kind: 'send-delayed',
      type: eventType,
      delayMs: delay,
      content,
      ...(stateKey !== undefined && stateKey !== null ? { stateKey } : {}),
    });
    let delayId: string;
    if (stateKey !== undefined && stateKey !== null) {
      const send = this.client._unstable_sendDelayedStateEvent.bind(this.client) as (
        r: string,
        o: { delay: number },
        t: string,
        c: Record<string, unknown>,
        k: string,
      ) => Promise<{ delay_id: string }>;
      ({ delay_id: delayId } = await send(room, { delay }, eventType, body, stateKey));
    } else {
      const send = this.client._unstable_sendDelayedEvent.bind(this.client) as (
        r: string,
        o: { delay: number },
        thread: null,
        t: string,
        c: Record<string, unknown>,
      ) => Promise<{ delay_id: string }>;
      ({ delay_id: delayId } = await send(room, { delay }, null, eventType, body));
    }
    return { roomId: room, delayId };
  }

  override async sendDelayedStickyEvent(
    delay: number,
    stickyDurationMs: number,
    eventType: string,
    content: unknown,
    roomId?: string | null,
  ): Promise<ISendDelayedEventDetails> {
    const room = this.room(roomId);
    this.log({
      kind: 'send-delayed',
      type: eventType,
      delayMs: delay,
      stickyMs: stickyDurationMs,
      content,
    });
    const send = this.client._unstable_sendStickyDelayedEvent.bind(this.client) as (
      r: string,
      d: number,
      o: { delay: number },
      thread: null,
      t: string,
      c: Record<string, unknown>,
    ) => Promise<{ delay_id: string }>;
    const { delay_id } = await send(
      room,
      stickyDurationMs,
      { delay },
      null,
      eventType,
      content as Record<string, unknown>,
    );
    return { roomId: room, delayId: delay_id };
  }

  override async cancelScheduledDelayedEvent(delayId: string): Promise<void> {
    this.log({ kind: 'update-delayed', delayId, action: 'cancel' });
    await this.client._unstable_cancelScheduledDelayedEvent(delayId);
  }

  override async restartScheduledDelayedEvent(delayId: string): Promise<void> {
    this.log({ kind: 'update-delayed', delayId, action: 'restart' });
    await this.client._unstable_restartScheduledDelayedEvent(delayId);
  }

  override async sendScheduledDelayedEvent(delayId: string): Promise<void> {
    this.log({ kind: 'update-delayed', delayId, action: 'send' });
    await this.client._unstable_sendScheduledDelayedEvent(delayId);
  }

  override async sendToDevice(
    eventType: string,
    encrypted: boolean,
    contentMap: Record<string, Record<string, object>>,
  ): Promise<void> {
    const targets = await this.expandTargets(contentMap);
    this.log({
      kind: 'send-to-device',
      type: eventType,
      encrypted,
      targets: targets.map(([u, d]) => `${u}|${d}`),
      content: targets[0]?.[2],
    });
    if (!encrypted) {
      const map = new Map<string, Map<string, Record<string, unknown>>>();
      for (const [userId, deviceId, content] of targets) {
        const devices = map.get(userId) ?? new Map<string, Record<string, unknown>>();
        devices.set(deviceId, content as Record<string, unknown>);
        map.set(userId, devices);
      }
      await this.client.sendToDevice(eventType, map);
      return;
    }
    // encryptAndSendToDevice takes one payload for many devices: group targets by content.
    const groups = new Map<
      string,
      { content: object; devices: { userId: string; deviceId: string }[] }
    >();
    for (const [userId, deviceId, content] of targets) {
      const key = JSON.stringify(content);
      const group = groups.get(key) ?? { content, devices: [] };
      group.devices.push({ userId, deviceId });
      groups.set(key, group);
    }
    for (const { content, devices } of groups.values())
      await this.client.encryptAndSendToDevice(eventType, devices, content);
  }

  /** `*` as a device ID means every device of that user the crypto stack knows. */
  private async expandTargets(
    contentMap: Record<string, Record<string, object>>,
  ): Promise<[string, string, object][]> {
    const out: [string, string, object][] = [];
    for (const [userId, devices] of Object.entries(contentMap)) {
      for (const [deviceId, content] of Object.entries(devices)) {
        if (deviceId !== '*') {
          out.push([userId, deviceId, content]);
          continue;
        }
        const known = await this.client.getCrypto()?.getUserDeviceInfo([userId], true);
        for (const id of known?.get(userId)?.keys() ?? []) out.push([userId, id, content]);
      }
    }
    return out;
  }

  private matrixRoom(roomId: string) {
    const room = this.client.getRoom(roomId);
    if (!room) throw new Error(`the host has not joined ${roomId}`);
    return room;
  }

  override readRoomTimeline(
    roomId: string,
    eventType: string,
    msgtype: string | undefined,
    stateKey: string | undefined,
    limit: number,
    since: string | undefined,
  ): Promise<IRoomEvent[]> {
    const events = this.matrixRoom(roomId).getLiveTimeline().getEvents();
    const out: IRoomEvent[] = [];
    // Newest first, down to (not including) `since`.
    for (let i = events.length - 1; i >= 0 && out.length < limit; i--) {
      const event = events[i];
      if (!event) continue;
      if (since !== undefined && event.getId() === since) break;
      if (event.getType() !== eventType) continue;
      if (stateKey !== undefined && event.getStateKey() !== stateKey) continue;
      if (msgtype !== undefined && event.getContent()['msgtype'] !== msgtype) continue;
      out.push(widgetEventOf(event));
    }
    return Promise.resolve(out);
  }

  override readRoomState(
    roomId: string,
    eventType: string,
    stateKey: string | undefined,
  ): Promise<IRoomEvent[]> {
    const state = this.matrixRoom(roomId).getLiveTimeline().getState(EventTimeline.FORWARDS);
    if (!state) return Promise.resolve([]);
    const events =
      stateKey === undefined
        ? state.getStateEvents(eventType)
        : [state.getStateEvents(eventType, stateKey)].filter((e) => e !== null);
    return Promise.resolve(events.map(widgetEventOf));
  }

  override readStickyEvents(roomId: string): Promise<IRoomEvent[]> {
    const sticky = [...this.matrixRoom(roomId)._unstable_getStickyEvents()];
    return Promise.resolve(sticky.map(widgetEventOf));
  }

  override askOpenID(observer: SimpleObservable<IOpenIDUpdate>): void {
    this.log({ kind: 'openid' });
    this.client.getOpenIdToken().then(
      (token) => {
        observer.update({ state: OpenIDRequestState.Allowed, token });
      },
      (error: unknown) => {
        this.log({ kind: 'error', type: 'openid', error: String(error) });
        observer.update({ state: OpenIDRequestState.Blocked });
      },
    );
  }

  override async getRtcTransports(): Promise<IRtcTransportsResult> {
    const transports = await this.client._unstable_getRTCTransports();
    this.log({ kind: 'rtc-transports', content: transports });
    return { rtc_transports: transports };
  }

  // No TURN on the loopback stack: the generator ends at once.
  // eslint-disable-next-line require-yield
  override async *getTurnServers(): AsyncGenerator<ITurnServer> {
    await Promise.resolve();
  }

  override getKnownRooms(): string[] {
    return this.client.getRooms().map((r) => r.roomId);
  }

  /** Homeserver errors reach the widget as Matrix errors (e.g. M_NOT_FOUND on a restart). */
  override processError(error: unknown): IWidgetApiErrorResponseDataDetails | undefined {
    this.log({ kind: 'error', error: error instanceof Error ? error.message : String(error) });
    return error instanceof MatrixError
      ? { matrix_api_error: error.asWidgetApiErrorData() }
      : undefined;
  }
}
