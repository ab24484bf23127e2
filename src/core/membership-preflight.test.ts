// A real matrix-js-sdk client and membership manager over a recording fetch: the read goes to
// the very URL the membership's PUT goes to, which is what lets the browser reuse its CORS
// preflight. The time it saves is measured by bench/join-latency.ts (TIMELINE=1).
import { assert } from '@open-wc/testing';
import { createClient } from 'matrix-js-sdk/lib/matrix.js';
import type { MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { MembershipManager } from 'matrix-js-sdk/lib/matrixrtc/MembershipManager.js';
import { DiagnosticsLog } from './diagnostics.js';
import { warmMembershipUrl } from './membership-preflight.js';
import { CALL_MEMBER_EVENT } from './room-call.js';
import { waitFor } from '../../test/support/wait-for.js';

/** The slot Element Call and we join: the room's call. */
const SLOT = { application: 'm.call', id: 'ROOM' };
const room = (roomId: string) => ({ roomId, getVersion: () => '10' }) as never;

function recordingClient() {
  const requests: { method: string; url: string }[] = [];
  const client = createClient({
    baseUrl: 'https://hs.example',
    userId: '@alice:example.org',
    deviceId: 'ALICE',
    accessToken: 'not-a-real-token',
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : input.toString();
      requests.push({ method: init?.method ?? 'GET', url });
      const missing = init?.method === undefined || init.method === 'GET';
      return Promise.resolve(
        new Response(
          JSON.stringify(missing ? { errcode: 'M_NOT_FOUND', error: 'none' } : { event_id: '$e' }),
          { status: missing ? 404 : 200, headers: { 'Content-Type': 'application/json' } },
        ),
      );
    },
  });
  return { client, requests };
}

describe('warmMembershipUrl', () => {
  it("reads the URL of our membership's PUT, and quietly takes a 404", async () => {
    const { client, requests } = recordingClient();
    const manager = new MembershipManager(undefined, room('!room:example.org'), client, SLOT);
    const log = new DiagnosticsLog();
    warmMembershipUrl(
      { membershipManager: manager } as unknown as MatrixRTCSession,
      CALL_MEMBER_EVENT,
      log,
    );
    await waitFor('the read', () => requests.length === 1, 2000);
    // What js-sdk's manager sends as our membership.
    await (
      manager as unknown as { clientSendMembership(c: object): Promise<unknown> }
    ).clientSendMembership({});
    const [read, put] = requests;
    assert.equal(read?.method, 'GET');
    assert.equal(put?.method, 'PUT');
    assert.equal(read?.url, put?.url);
    assert.include(read?.url, '/state/org.matrix.msc3401.call.member/');
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(log.list('membership'), []);
  });

  it('does nothing for a widget client, whose requests are no HTTP, or a changed js-sdk', () => {
    const { client, requests } = recordingClient();
    const manager = new MembershipManager(undefined, room('!r:hs'), client, SLOT);
    Object.assign(client, { widgetApi: {} });
    warmMembershipUrl(
      { membershipManager: manager } as unknown as MatrixRTCSession,
      CALL_MEMBER_EVENT,
      new DiagnosticsLog(),
    );
    warmMembershipUrl(
      { membershipManager: {} } as unknown as MatrixRTCSession,
      CALL_MEMBER_EVENT,
      new DiagnosticsLog(),
    );
    assert.deepEqual(requests, []);
  });
});
