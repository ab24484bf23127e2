// OwnSfu's lobby grant: fetched again before it is too old to use, until a join takes it or the
// session goes. The auth service is a stand-in (the real one is in test/browser/core-call.test.ts).
import { assert } from '@open-wc/testing';
import { DiagnosticsLog } from './diagnostics.js';
import type { MatrixSession } from './matrix-session.js';
import type { MediaEncryption } from './media-encryption.js';
import { OwnSfu } from './own-sfu.js';
import type { SfuConnections } from './sfu-connections.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OwnSfu lobby grant', () => {
  let grants = 0;
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    grants = 0;
    globalThis.fetch = (input: RequestInfo | URL) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (url.endsWith('/sfu/get')) grants++;
      return Promise.resolve(
        new Response(
          JSON.stringify({ url: 'ws://127.0.0.1:1', jwt: 'a.eyJzdWIiOiJAdTpoczpEIn0.c' }),
          {
            headers: { 'content-type': 'application/json' },
          },
        ),
      );
    };
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  function ownSfu() {
    const matrix = {
      userId: '@u:hs',
      deviceId: 'D',
      homeserver: 'http://hs',
      client: {
        getOpenIdToken: () =>
          Promise.resolve({
            access_token: 'openid',
            token_type: 'Bearer',
            matrix_server_name: 'hs',
            expires_in: 3600,
          }),
      },
    } as unknown as MatrixSession;
    return new OwnSfu({
      matrix,
      roomId: '!r:hs',
      // Neither is used before a join.
      encryption: undefined as unknown as MediaEncryption,
      connections: undefined as unknown as SfuConnections,
      members: () => [],
      log: new DiagnosticsLog(),
      grantRefreshMs: 60,
    });
  }

  it('is fetched again while the lobby stays open, and no more once disposed', async () => {
    const sfu = ownSfu();
    sfu.prefetch('http://auth', '@u:hs:D');
    await sleep(250);
    assert.isAtLeast(grants, 3, 'refreshed every 60 ms');
    sfu.dispose();
    const after = grants;
    await sleep(200);
    assert.equal(grants, after, 'nothing after dispose');
  });

  it('stops after its last refresh', async () => {
    const sfu = ownSfu();
    sfu.prefetch('http://auth', '@u:hs:D', 2);
    await sleep(400);
    assert.equal(grants, 3, 'the first grant and two refreshes');
    sfu.dispose();
  });
});
