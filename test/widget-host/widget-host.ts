/**
 * Shows a widget in an iframe and speaks the host side of the widget API to it through
 * matrix-widget-api's ClientWidgetApi and our MatrixClientWidgetDriver: room events, state and
 * decrypted to-device messages are pushed to it as the client receives them, and the call
 * actions (join, hang-up, device mute, always-on-screen) are acknowledged and recorded.
 */
import { ClientWidgetApi, Widget, type IWidgetApiRequest } from 'matrix-widget-api';
import {
  ClientEvent,
  MatrixEventEvent,
  RoomStateEvent,
  type MatrixClient,
  type MatrixEvent,
  type ReceivedToDeviceMessage,
} from 'matrix-js-sdk';
import {
  MatrixClientWidgetDriver,
  redacted,
  widgetEventOf,
  type DriverRecord,
} from './widget-driver.js';

/** Actions a call widget sends its host (Element Web's names), acknowledged with `{}`. */
export const CALL_ACTIONS = [
  'io.element.join',
  'im.vector.hangup',
  'io.element.close',
  'io.element.device_mute',
  'set_always_on_screen',
] as const;

export interface ActionRecord {
  at: number;
  /** `from-widget` or `to-widget`. */
  direction: 'from-widget' | 'to-widget';
  action: string;
  data: unknown;
  response?: unknown;
}

/** Something the host pushed to the widget: a decrypted to-device message or a room event. */
export interface ReceivedRecord {
  at: number;
  kind: 'receive-to-device' | 'receive-event';
  type: string;
  sender: string;
  encrypted: boolean;
  stateKey?: string;
  content: unknown;
}

export type HostRecord = DriverRecord | ActionRecord | ReceivedRecord;

export interface WidgetHostOptions {
  client: MatrixClient;
  roomId: string;
  /** The widget's complete URL (no template variables left). */
  url: string;
  widgetId: string;
  /** Where the iframe goes. */
  container: HTMLElement;
  deny?: readonly (string | RegExp)[];
  /** Called for every driver request and every action, in order. */
  record?: (entry: HostRecord) => void;
}

export class WidgetHost {
  readonly iframe: HTMLIFrameElement;
  readonly api: ClientWidgetApi;
  private readonly client: MatrixClient;
  private readonly roomId: string;
  private readonly record: (entry: HostRecord) => void;
  private readonly pendingDecryption = new WeakSet<MatrixEvent>();
  private readonly ready: Promise<void>;

  constructor(options: WidgetHostOptions) {
    this.client = options.client;
    this.roomId = options.roomId;
    this.record = options.record ?? (() => undefined);
    const iframe = document.createElement('iframe');
    iframe.allow = 'camera; microphone; display-capture; autoplay; clipboard-write';
    iframe.src = options.url;
    iframe.title = 'widget';
    this.iframe = iframe;
    const widget = new Widget({
      id: options.widgetId,
      creatorUserId: options.client.getSafeUserId(),
      type: 'm.call',
      url: options.url,
      // Element Call says when it is loaded (content_loaded); don't start on the iframe's load.
      waitForIframeLoad: false,
    });
    const driver = new MatrixClientWidgetDriver({
      client: options.client,
      roomId: options.roomId,
      deny: options.deny,
      record: (entry) => {
        this.record(entry);
      },
    });
    options.container.append(iframe);
    this.api = new ClientWidgetApi(widget, iframe, driver);
    this.api.setViewedRoomId(options.roomId);
    this.ready = new Promise((resolve) =>
      this.api.once('ready', () => {
        resolve();
      }),
    );
    for (const action of CALL_ACTIONS)
      this.api.on(`action:${action}`, (ev: CustomEvent<IWidgetApiRequest>) => {
        ev.preventDefault();
        const response = action === 'set_always_on_screen' ? { success: true } : {};
        this.record({
          at: Date.now(),
          direction: 'from-widget',
          action,
          data: redacted(ev.detail.data),
          response,
        });
        this.api.transport.reply(ev.detail, response);
      });
    this.client.on(ClientEvent.Event, this.onEvent);
    this.client.on(MatrixEventEvent.Decrypted, this.onDecrypted);
    this.client.on(RoomStateEvent.Events, this.onState);
    this.client.on(ClientEvent.ReceivedToDeviceMessage, this.onToDevice);
  }

  /** Resolves once the widget has its capabilities (the API is ready). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Sends a to-widget action (e.g. `io.element.join`, `im.vector.hangup`); resolves to its reply. */
  async send(action: string, data: Record<string, unknown> = {}): Promise<unknown> {
    const at = Date.now();
    const response = await this.api.transport.send(action, data);
    this.record({ at, direction: 'to-widget', action, data: redacted(data), response });
    return response;
  }

  private readonly onEvent = (event: MatrixEvent): void => {
    if (event.getRoomId() !== this.roomId) return;
    if (event.isBeingDecrypted() || event.isDecryptionFailure()) {
      this.pendingDecryption.add(event);
      return;
    }
    this.feed(event);
  };

  private readonly onDecrypted = (event: MatrixEvent): void => {
    if (!this.pendingDecryption.has(event)) return;
    this.pendingDecryption.delete(event);
    if (!event.isDecryptionFailure()) this.feed(event);
  };

  private feed(event: MatrixEvent): void {
    // State events go both here (as timeline events) and through feedStateUpdate (as state).
    this.received('receive-event', event);
    this.api.feedEvent(widgetEventOf(event)).catch(() => undefined);
  }

  private readonly onState = (event: MatrixEvent): void => {
    if (event.getRoomId() !== this.roomId) return;
    this.api.feedStateUpdate(widgetEventOf(event)).catch(() => undefined);
  };

  private received(kind: 'receive-event', event: MatrixEvent): void {
    const stateKey = event.getStateKey();
    this.record({
      at: Date.now(),
      kind,
      type: event.getType(),
      sender: event.getSender() ?? '',
      encrypted: event.isEncrypted(),
      ...(stateKey !== undefined ? { stateKey } : {}),
      content: redacted(event.getContent()),
    });
  }

  private readonly onToDevice = ({ message, encryptionInfo }: ReceivedToDeviceMessage): void => {
    this.record({
      at: Date.now(),
      kind: 'receive-to-device',
      type: message.type,
      sender: message.sender,
      encrypted: !!encryptionInfo,
      content: redacted(message.content),
    });
    this.api.feedToDevice(message, !!encryptionInfo).catch(() => undefined);
  };

  stop(): void {
    this.client.off(ClientEvent.Event, this.onEvent);
    this.client.off(MatrixEventEvent.Decrypted, this.onDecrypted);
    this.client.off(RoomStateEvent.Events, this.onState);
    this.client.off(ClientEvent.ReceivedToDeviceMessage, this.onToDevice);
    this.api.stop();
    this.iframe.remove();
  }
}
