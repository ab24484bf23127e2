import {
  EventType,
  MatrixEventEvent,
  RoomEvent,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { TypedEmitter } from './emitter.js';
import { CALL_NOTIFICATION_EVENT, parseIncomingNotification } from './notifications.js';
import type { IncomingCallNotification } from './types.js';

export const IncomingCallsEvent = {
  /** A new ring or notification arrived. */
  Incoming: 'incoming',
  /** The current one changed (arrived, expired or was cleared). */
  Changed: 'changed',
} as const;

export interface IncomingCallsEventMap {
  [IncomingCallsEvent.Incoming]: (notification: IncomingCallNotification) => void;
  [IncomingCallsEvent.Changed]: () => void;
}

export interface IncomingCallsOptions {
  room: Room;
  ownUserId: string;
  log: DiagnosticsLog;
  /** While this is true (we are in the call already), nothing rings. */
  muted: () => boolean;
}

/**
 * Watches the room's timeline for call notifications addressed to us
 * (`org.matrix.msc4075.rtc.notification`), waiting for encrypted ones to
 * decrypt, and keeps the current one until it expires or is cleared.
 */
export class IncomingCalls extends TypedEmitter<IncomingCallsEventMap> {
  private incoming: IncomingCallNotification | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly undo: () => void;

  constructor(private readonly options: IncomingCallsOptions) {
    super();
    const onTimeline = (event: MatrixEvent) => {
      this.onEvent(event);
    };
    options.room.on(RoomEvent.Timeline, onTimeline);
    this.undo = () => options.room.off(RoomEvent.Timeline, onTimeline);
  }

  get current(): IncomingCallNotification | undefined {
    return this.incoming;
  }

  clear(): void {
    if (!this.incoming) return;
    this.incoming = undefined;
    this.emit(IncomingCallsEvent.Changed);
  }

  private onEvent(event: MatrixEvent): void {
    if (
      event.isBeingDecrypted() ||
      event.isDecryptionFailure() ||
      event.getType() === (EventType.RoomMessageEncrypted as string)
    ) {
      if (event.isEncrypted() && !event.isDecryptionFailure()) {
        event.once(MatrixEventEvent.Decrypted, () => {
          this.onEvent(event);
        });
      }
      return;
    }
    if (event.getType() !== CALL_NOTIFICATION_EVENT) return;
    const { room, ownUserId, log, muted } = this.options;
    const notification = parseIncomingNotification(event, room, ownUserId);
    if (!notification || muted()) return;
    this.incoming = notification;
    log.info('session', 'incoming call notification', {
      sender: notification.sender,
      type: notification.type,
    });
    this.emit(IncomingCallsEvent.Changed);
    this.emit(IncomingCallsEvent.Incoming, notification);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.incoming === notification) this.clear();
      },
      Math.max(0, notification.expiresAt - Date.now()),
    );
    this.timers.add(timer);
  }

  dispose(): void {
    this.undo();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.removeAllListeners();
  }
}
