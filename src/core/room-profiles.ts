import {
  EventTimeline,
  EventType,
  RoomEvent,
  RoomStateEvent,
  type MatrixClient,
  type Room,
} from 'matrix-js-sdk/lib/matrix.js';
import { AvatarCache } from './avatars.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { TypedEmitter } from './emitter.js';
import { withTimeout } from './with-timeout.js';
import type { RoomSummary } from './types.js';

export const RoomProfilesEvent = {
  /** A name, an avatar or the room's own summary changed. */
  Changed: 'changed',
} as const;

export interface RoomProfilesEventMap {
  [RoomProfilesEvent.Changed]: () => void;
}

export interface Profile {
  displayName: string;
  avatarUrl: string | undefined;
}

/** Zero-width and direction marks: invisible, so a name with them looks like one without. */
const HIDDEN_MARKS =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0]|\u034F|\u17B4|\u17B5|\uFE0E|\uFE0F/g;

export function withoutHiddenMarks(name: string): string {
  return name.replace(HIDDEN_MARKS, '').trim();
}

/** How long setting a per-room name may take before the join goes on without it. */
const NAME_TIMEOUT_MS = 5000;

/**
 * Who is who in the room: display names and avatars of its members, and the
 * room's own name, as the UI shows them. Emits `changed` when any of them changes.
 */
export class RoomProfiles extends TypedEmitter<RoomProfilesEventMap> {
  readonly #avatars: AvatarCache;
  readonly #undo: () => void;

  constructor(
    private readonly client: MatrixClient,
    private readonly room: Room,
    private readonly log: DiagnosticsLog,
  ) {
    super();
    const changed = () => {
      this.emit(RoomProfilesEvent.Changed);
    };
    this.#avatars = new AvatarCache(client, log, changed);
    room.on(RoomStateEvent.Members, changed);
    room.on(RoomEvent.Name, changed);
    this.#undo = () => {
      room.off(RoomStateEvent.Members, changed);
      room.off(RoomEvent.Name, changed);
    };
  }

  /**
   * matrix-js-sdk's disambiguated name: a name that looks like another
   * member's (the same after removing hidden marks and folding confusable
   * letters), or one with direction overrides or a user ID in it, gets the
   * user ID added. Hidden marks are removed from what is shown.
   */
  of(userId: string): Profile {
    const member = this.room.getMember(userId);
    return {
      displayName: withoutHiddenMarks(member?.name ?? '') || userId,
      avatarUrl: this.#avatars.get(member?.getMxcAvatarUrl()),
    };
  }

  summary(): RoomSummary {
    const room = this.room;
    return {
      roomId: room.roomId,
      name: room.name || room.getCanonicalAlias() || room.roomId,
      avatarUrl: this.#avatars.get(room.getMxcAvatarUrl()),
      encrypted: room.hasEncryptionStateEvent(),
    };
  }

  /**
   * Sets the name chosen in the lobby as our display name in this room only
   * (a per-room nick, like `/myroomnick`), never the global profile. Best effort.
   */
  async setOwnName(userId: string, name: string | undefined): Promise<void> {
    const wanted = name?.trim();
    if (!wanted || wanted === this.of(userId).displayName) return;
    try {
      const current =
        this.room
          .getLiveTimeline()
          .getState(EventTimeline.FORWARDS)
          ?.getStateEvents(EventType.RoomMember, userId)
          ?.getContent() ?? {};
      await withTimeout(
        this.client.sendStateEvent(
          this.room.roomId,
          EventType.RoomMember,
          { ...current, membership: 'join', displayname: wanted },
          userId,
        ),
        NAME_TIMEOUT_MS,
        undefined,
        () => new Error('timed out'),
      );
      this.log.info('matrix', 'set the display name for this room');
    } catch (error) {
      this.log.warn('matrix', 'could not set the display name', { error: describe(error) });
    }
  }

  dispose(): void {
    this.#undo();
    this.#avatars.dispose();
    this.removeAllListeners();
  }
}
