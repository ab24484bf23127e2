/** What the auth service asks of LiveKit: tokens, room creation, participant lookups. */
import { AccessToken, RoomServiceClient, ServerError } from 'livekit-server-sdk';
import { HttpError } from './http-error.js';

const TOKEN_TTL_SECONDS = 60 * 60;
const ROOM_EMPTY_TIMEOUT_SECONDS = 5 * 60;
const ROOM_DEPARTURE_TIMEOUT_SECONDS = 20;

export interface LiveKitOptions {
  /** Server API base URL (http/https). */
  apiUrl: string;
  key: string;
  secret: string;
  timeoutMs: number;
}

export class LiveKit {
  private readonly rooms: RoomServiceClient;

  constructor(private readonly opts: LiveKitOptions) {
    this.rooms = new RoomServiceClient(opts.apiUrl, opts.key, opts.secret, {
      requestTimeout: Math.max(1, Math.ceil(opts.timeoutMs / 1000)),
      failover: false,
    });
  }

  /** lk-jwt-service's grant: join, publish, subscribe, update own metadata; 1 h, HS256. */
  async token(room: string, identity: string): Promise<string> {
    try {
      const at = new AccessToken(this.opts.key, this.opts.secret, {
        identity,
        ttl: TOKEN_TTL_SECONDS,
      });
      at.addGrant({
        roomJoin: true,
        room,
        canPublish: true,
        canSubscribe: true,
        canUpdateOwnMetadata: true,
      });
      return await at.toJwt();
    } catch {
      throw new HttpError(500, 'M_UNKNOWN', 'Internal Server Error', 'signing the token failed');
    }
  }

  /** Creates the room (idempotent: an existing room is kept); true if it is new. */
  async createRoom(room: string): Promise<boolean> {
    const startedSec = Math.floor(Date.now() / 1000);
    try {
      const created = await this.rooms.createRoom({
        name: room,
        emptyTimeout: ROOM_EMPTY_TIMEOUT_SECONDS,
        departureTimeout: ROOM_DEPARTURE_TIMEOUT_SECONDS,
        maxParticipants: 0,
      });
      // As lk-jwt-service tells "created" from "reused": by the room's creation time.
      return Number(created.creationTime) >= startedSec;
    } catch (err) {
      const detail = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
      throw new HttpError(
        500,
        'M_UNKNOWN',
        'Unable to create room on SFU',
        `createRoom: ${detail}`,
      );
    }
  }

  /** Whether the room exists now; a failed lookup counts as "no". */
  async roomExists(room: string): Promise<boolean> {
    try {
      return (await this.rooms.listRooms([room])).length > 0;
    } catch {
      return false;
    }
  }

  /** true/false as LiveKit says; undefined when LiveKit could not be asked. */
  async participantExists(room: string, identity: string): Promise<boolean | undefined> {
    try {
      await this.rooms.getParticipant(room, identity);
      return true;
    } catch (err) {
      if (err instanceof ServerError && (err.status === 404 || err.code === 'not_found'))
        return false;
      return undefined;
    }
  }
}
