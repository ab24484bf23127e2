/**
 * A plain older client, as a Flutter app's LiveKit service or an older Element Call is on the
 * wire: its membership is the legacy per-user `{"memberships": [...]}` state event under its
 * user ID, sent with plain client-server API calls; its grant comes from `/sfu/get`
 * (OpenID token → `{room, openid_token, device_id}`); it publishes with plain livekit-client,
 * no E2EE, in its own browser page. No matrix-js-sdk, no <matrix-call>.
 */
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { ProvisionedUser } from '../../stack/provision.js';
import type { E2ERun, Participant } from './harness.js';
import { CALL_MEMBER, putState } from './room-state.js';

const PAGE_SCRIPT = resolve('test/e2e/legacy-page.js');
const LIVEKIT_UMD = resolve('node_modules/livekit-client/dist/livekit-client.umd.js');

declare global {
  interface Window {
    __legacy: {
      connect(url: string, jwt: string): Promise<void>;
      publishCamera(): Promise<void>;
      unpublishCamera(): Promise<void>;
      disconnect(): Promise<void>;
      pixel(identity: string): [number, number, number] | null;
      received(identity: string): Promise<{ frames: number; packets: number }>;
      others(): string[];
    };
  }
}

/** One entry of the legacy list; `expires` (relative) unless `expiresTs` (absolute) is given. */
export interface LegacyEntryOptions {
  expiresTs?: number;
  expires?: number;
}

export class LegacyClient {
  #context: BrowserContext | undefined;
  #page: Page | undefined;

  /** `browser`: a Participant's Chromium, for its fake camera colour. */
  constructor(
    readonly run: E2ERun,
    readonly browser: Participant,
    readonly user: ProvisionedUser,
    readonly roomId: string,
  ) {}

  /** The LiveKit identity `/sfu/get` gives this device. */
  get identity(): string {
    return `${this.user.userId}:${this.user.deviceId}`;
  }

  /** One membership entry for our device, exactly as older clients write it. */
  entry(opts: LegacyEntryOptions = {}): Record<string, unknown> {
    const now = Date.now();
    return {
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
      device_id: this.user.deviceId,
      ...(opts.expiresTs === undefined
        ? { expires: opts.expires ?? 3_600_000, created_ts: now }
        : { expires_ts: opts.expiresTs }),
      foci_active: [
        {
          type: 'livekit',
          livekit_service_url: this.run.stack.authServiceUrl,
          livekit_alias: this.roomId,
        },
      ],
      membershipID: `legacy-${String(now)}`,
    };
  }

  /** Replaces our legacy state event: `[]` is how these clients leave. */
  async setMemberships(entries: Record<string, unknown>[]): Promise<void> {
    await putState(this.user, this.roomId, CALL_MEMBER, this.user.userId, {
      memberships: entries,
    });
  }

  /** OpenID token, then `POST /sfu/get`, as these clients ask for a grant. */
  async grant(): Promise<{ url: string; jwt: string }> {
    const { homeserverUrl, accessToken, userId, deviceId } = this.user;
    const openid = await fetch(
      `${homeserverUrl}/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(10_000),
      },
    );
    if (!openid.ok) throw new Error(`OpenID token: HTTP ${String(openid.status)}`);
    const token = (await openid.json()) as { access_token: string };
    this.run.secrets.add(token.access_token);
    const sfu = await fetch(`${this.run.stack.authServiceUrl}/sfu/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: this.roomId, openid_token: token, device_id: deviceId }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!sfu.ok) throw new Error(`/sfu/get: HTTP ${String(sfu.status)}`);
    const grant = (await sfu.json()) as { url: string; jwt: string };
    this.run.secrets.add(grant.jwt);
    return grant;
  }

  /** Opens the page (once), gets a grant and connects to LiveKit, auto-subscribing. */
  async connect(): Promise<void> {
    if (!this.#page) {
      this.#context = await this.browser.browser.newContext({
        permissions: ['camera', 'microphone'],
        viewport: { width: 640, height: 480 },
      });
      const page = await this.#context.newPage();
      page.on('console', (msg) => {
        this.run.consoleLines.push(`[legacy] ${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (error) => {
        this.run.pageError('legacy', error);
      });
      // Any page of the test server: a secure origin (127.0.0.1) for the camera.
      await page.goto(`${this.run.server.url}/legacy-client`);
      await page.addScriptTag({ path: LIVEKIT_UMD });
      await page.addScriptTag({ path: PAGE_SCRIPT });
      this.#page = page;
    }
    const { url, jwt } = await this.grant();
    await this.p.evaluate(([u, j]) => window.__legacy.connect(u, j), [url, jwt] as const);
  }

  get p(): Page {
    if (!this.#page) throw new Error('the legacy client has no page');
    return this.#page;
  }

  publishCamera(): Promise<void> {
    return this.p.evaluate(() => window.__legacy.publishCamera());
  }

  unpublishCamera(): Promise<void> {
    return this.p.evaluate(() => window.__legacy.unpublishCamera());
  }

  disconnect(): Promise<void> {
    return this.p.evaluate(() => window.__legacy.disconnect());
  }

  /** Centre pixel of the video this client receives from `identity`. */
  pixel(identity: string): Promise<[number, number, number] | null> {
    return this.p.evaluate((id) => window.__legacy.pixel(id), identity);
  }

  /** Frames decoded and packets received of the video from `identity`. */
  received(identity: string): Promise<{ frames: number; packets: number }> {
    return this.p.evaluate((id) => window.__legacy.received(id), identity);
  }

  others(): Promise<string[]> {
    return this.p.evaluate(() => window.__legacy.others());
  }

  async close(): Promise<void> {
    const context = this.#context;
    this.#context = undefined;
    this.#page = undefined;
    await context?.close().catch(() => undefined);
  }
}
