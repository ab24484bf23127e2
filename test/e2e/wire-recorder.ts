/**
 * Records what a page sends to the homeserver and the auth service (method, path, query, JSON
 * body with secrets replaced by their length), to compare what <matrix-call> and Element Call
 * put on the wire. Request bodies only: to-device contents are Olm-encrypted there (the widget
 * host records them decrypted instead).
 */
import type { Page, Request } from 'playwright-core';
import { redacted } from '../widget-host/widget-driver.js';

export interface WireEntry {
  at: number;
  who: string;
  method: string;
  /** Path without the host, e.g. `/_matrix/client/v3/rooms/…/state/…`. */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status?: number;
  /** LiveKit identity and room from a JWT response (`sub`, `video.room`), never the JWT. */
  identity?: string;
  lkRoom?: string;
}

/** Secrets become their length; see widget-driver's `redacted`. */
export const redact = redacted;

/** The payload of a JWT, decoded, without its signature. */
function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const INTERESTING =
  /\/rooms\/[^/]+\/(state|send)\/|\/delayed_events|\/sendToDevice\/|\/sfu\/get$|\/get_token$|\/openid\/request_token$|delegate_delayed_leave|rtc\/transports/;

export function recordWire(page: Page, who: string, origins: string[], into: WireEntry[]): void {
  const entries = new Map<Request, WireEntry>();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!origins.includes(url.origin) || !INTERESTING.test(url.pathname)) return;
    let body: unknown;
    const text = request.postData();
    if (text) {
      try {
        body = redact(JSON.parse(text));
      } catch {
        body = `<${text.length} bytes>`;
      }
    }
    const entry: WireEntry = {
      at: Date.now(),
      who,
      method: request.method(),
      // A delayed event's ID is a capability: the path keeps only where it stood.
      path: decodeURIComponent(url.pathname).replace(/(\/delayed_events\/)[^/]+/, '$1{delay_id}'),
      query: Object.fromEntries(url.searchParams),
      ...(body !== undefined ? { body } : {}),
    };
    entries.set(request, entry);
    into.push(entry);
  });
  page.on('response', (response) => {
    const entry = entries.get(response.request());
    if (!entry) return;
    entry.status = response.status();
    if (!/\/sfu\/get$|\/get_token$/.test(entry.path) || response.status() !== 200) return;
    response
      .json()
      .then((json: { jwt?: string }) => {
        if (!json.jwt) return;
        const claims = jwtClaims(json.jwt);
        entry.identity = String(claims['sub']);
        entry.lkRoom = String((claims['video'] as { room?: string } | undefined)?.room);
      })
      .catch(() => undefined);
  });
}
