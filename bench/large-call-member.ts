/**
 * One simulated member of a large call, Matrix side, in Node: a real matrix-js-sdk client with
 * Rust crypto (in memory), a real membership through matrix-js-sdk's `MatrixRTCSession` (state
 * event, delayed leave and its restarts), a JWT from the auth service's `/sfu/get`, and its
 * media key sent Olm-encrypted over to-device in Element Call's format.
 *
 * What is simulated: keys go only to the devices the bench names (the real receiver), not to
 * every member. Simulated members never decode each other, and sending keys all-to-all would load
 * this 2-core machine with work that is not the receiver's.
 */
import { randomBytes } from 'node:crypto';
import { ClientEvent, createClient, type MatrixClient } from 'matrix-js-sdk';
import {
  MatrixRTCSessionEvent,
  type CallMembership,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { ProvisionedUser } from '../stack/provision.js';
import {
  DELAYED_LEAVE_DELAY_MS,
  DELAYED_LEAVE_RESTART_MS,
  DELAYED_LEAVE_RESTART_TIMEOUT_MS,
} from '../src/core/room-call.js';

const KEYS_EVENT = 'io.element.call.encryption_keys';

// matrix-js-sdk 43's sync uses Promise.withResolvers, which Node 20 lacks (browsers have it).
const promises = Promise as unknown as { withResolvers?: () => unknown };
promises.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export interface Grant {
  url: string;
  jwt: string;
}

export class SimulatedMember {
  readonly key = randomBytes(16);
  readonly #sentTo = new Set<string>();
  /** When our key last went to each target device (`@user|DEVICE`): for the bench's timeline. */
  readonly keySentAt = new Map<string, number>();
  #rtc: MatrixRTCSession | undefined;

  private constructor(
    readonly user: ProvisionedUser,
    readonly roomId: string,
    readonly serviceUrl: string,
    readonly client: MatrixClient,
    /** Devices (`@user:hs|DEVICE`) whose memberships get our key. */
    readonly keyTargets: (userId: string) => boolean,
  ) {}

  /** The LiveKit identity a state membership implies (`@user:server:DEVICE`). */
  get identity(): string {
    return `${this.user.userId}:${this.user.deviceId}`;
  }

  get keyBase64(): string {
    return this.key.toString('base64');
  }

  static async start(
    user: ProvisionedUser,
    roomId: string,
    serviceUrl: string,
    keyTargets: (userId: string) => boolean,
  ): Promise<SimulatedMember> {
    const client = createClient({
      baseUrl: user.homeserverUrl,
      userId: user.userId,
      deviceId: user.deviceId,
      accessToken: user.accessToken,
    });
    await client.initRustCrypto({ useIndexedDB: false });
    const synced = new Promise<void>((resolve) => {
      const onSync = () => {
        if (!client.isInitialSyncComplete()) return;
        client.off(ClientEvent.Sync, onSync);
        resolve();
      };
      client.on(ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 0 });
    await synced;
    return new SimulatedMember(user, roomId, serviceUrl, client, keyTargets);
  }

  /** A LiveKit grant for our identity, as a client gets it (OpenID token → `/sfu/get`). */
  async grant(): Promise<Grant> {
    const openid = await this.client.getOpenIdToken();
    const response = await fetch(`${this.serviceUrl}/sfu/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        room: this.roomId,
        openid_token: openid,
        device_id: this.user.deviceId,
      }),
      signal: AbortSignal.timeout(20_000),
    });
    if (!response.ok) throw new Error(`/sfu/get: HTTP ${String(response.status)}`);
    return (await response.json()) as Grant;
  }

  /** Sends our membership and resolves when it is back in room state. */
  async join(): Promise<void> {
    const room = this.client.getRoom(this.roomId);
    if (!room) throw new Error(`${this.user.userId} is not in the room`);
    const rtc = this.client.matrixRTC.getRoomSession(room);
    this.#rtc = rtc;
    rtc.on(MatrixRTCSessionEvent.MembershipsChanged, (_old, now) => {
      this.#sendKeys(now);
    });
    const mine = () =>
      rtc.memberships.some(
        (m) => m.userId === this.user.userId && m.deviceId === this.user.deviceId,
      );
    const back = new Promise<void>((resolve) => {
      const check = () => {
        if (!mine()) return;
        rtc.off(MatrixRTCSessionEvent.MembershipsChanged, check);
        resolve();
      };
      rtc.on(MatrixRTCSessionEvent.MembershipsChanged, check);
    });
    rtc.joinRTCSession(
      { userId: this.user.userId, deviceId: this.user.deviceId, memberId: this.identity },
      [],
      { type: 'livekit', livekit_service_url: this.serviceUrl, livekit_alias: this.roomId },
      {
        manageMediaKeys: false,
        callIntent: 'video',
        // <matrix-call>'s own timing: js-sdk's defaults flap on a homeserver busy with 50 clients.
        delayedLeaveEventDelayMs: DELAYED_LEAVE_DELAY_MS,
        delayedLeaveEventRestartMs: DELAYED_LEAVE_RESTART_MS,
        delayedLeaveEventRestartLocalTimeoutMs: DELAYED_LEAVE_RESTART_TIMEOUT_MS,
      },
    );
    await back;
    this.#sendKeys(rtc.memberships);
  }

  /** Our key to each target membership's device, once per membership (its `created_ts`). */
  #sendKeys(memberships: CallMembership[]): void {
    for (const m of memberships) {
      if (!this.keyTargets(m.userId)) continue;
      const id = `${m.userId}|${m.deviceId}|${String(m.createdTs())}`;
      if (this.#sentTo.has(id)) continue;
      this.#sentTo.add(id);
      this.#sendKey(m.userId, m.deviceId).catch((error: unknown) => {
        console.error(`bench: ${this.identity} could not send its key`, error);
      });
    }
  }

  async #sendKey(userId: string, deviceId: string): Promise<void> {
    const crypto = this.client.getCrypto();
    if (!crypto) throw new Error('no crypto');
    const payload = {
      keys: { index: 0, key: this.keyBase64 },
      room_id: this.roomId,
      member: { claimed_device_id: this.user.deviceId, id: this.identity },
      session: { application: 'm.call', call_id: '', scope: 'm.room' },
    };
    // Olm needs the device's keys: a device that just signed in is known after a sync or two.
    for (let i = 0; i < 240; i++) {
      // Under load the one-time-key claim can time out ("no valid Olm session"): try again.
      const batch = await crypto
        .encryptToDeviceMessages(KEYS_EVENT, [{ userId, deviceId }], {
          ...payload,
          sent_ts: Date.now(),
        })
        .catch((error: unknown) => {
          console.warn(`bench: ${this.identity} key encryption failed, retrying`, error);
          return undefined;
        });
      if (batch && batch.batch.length > 0) {
        await this.client.queueToDevice(batch);
        this.keySentAt.set(`${userId}|${deviceId}`, Date.now());
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.user.userId} never learnt of ${userId}'s device`);
  }

  async leave(): Promise<void> {
    await this.#rtc?.leaveRoomSession(5_000).catch(() => false);
    this.client.stopClient();
  }
}
