/**
 * Real LiveKit participants for stack tests: livekit-client's UMD build in Chromium pages
 * (Node has no WebRTC). Each join is its own page; one browser serves them all.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';

// The package's exports hide the UMD build; it sits next to the main entry.
const UMD = join(
  dirname(createRequire(import.meta.url).resolve('livekit-client')),
  'livekit-client.umd.js',
);

export interface JoinedParticipant {
  /** The LiveKit identity the server assigned (the JWT's `sub`). */
  identity: string;
  /** `room.disconnect()`: LiveKit reports a client-initiated leave. */
  leave(): Promise<void>;
  /** Closes the page without leaving: the connection just drops. */
  drop(): Promise<void>;
}

export class LiveKitParticipants {
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<LiveKitParticipants> {
    return new LiveKitParticipants(await launchChromium());
  }

  /** Connects to `url` with `jwt` and waits until LiveKit has it connected. */
  async join(url: string, jwt: string): Promise<JoinedParticipant> {
    const page: Page = await this.browser.newPage();
    await page.addScriptTag({ path: UMD });
    // Strings, not functions: tsx would add helpers the page does not have.
    const identity = await page.evaluate(`(async () => {
      const room = new LivekitClient.Room();
      window.__room = room;
      await room.connect(${JSON.stringify(url)}, ${JSON.stringify(jwt)}, {
        rtcConfig: { iceServers: [] },
      });
      return room.localParticipant.identity;
    })()`);
    return {
      identity: String(identity),
      leave: async () => {
        await page.evaluate('window.__room.disconnect()');
        await page.close();
      },
      drop: () => page.close(),
    };
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}
