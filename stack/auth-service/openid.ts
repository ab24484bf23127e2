/**
 * OpenID token validation against the user's homeserver:
 * `GET {base}/_matrix/federation/v1/openid/userinfo?access_token=…` must answer 2xx
 * with `{"sub": "@user:<matrix_server_name>"}`.
 *
 * lk-jwt-service does this through gomatrixserverlib's federation client (always
 * HTTPS, with .well-known/SRV server discovery). Here the base URL comes from an
 * explicit map (server name -> base URL), so a local homeserver can be reached over
 * plain http; without an entry it is `https://<server_name>` (no SRV/.well-known
 * discovery). Error messages never contain the token.
 */

export class OpenIdError extends Error {
  override readonly name = 'OpenIdError';
}

// Matrix server name grammar: hostname | IPv4 | [IPv6], optional :port.
const SERVER_NAME = /^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function isValidServerName(name: string): boolean {
  return SERVER_NAME.test(name);
}

/** Base URL (no trailing slash) for a server name, using the override map first. */
export function homeserverBaseUrl(
  serverName: string,
  overrides: ReadonlyMap<string, string>,
): string {
  const override = overrides.get(serverName);
  if (override !== undefined) return override.replace(/\/+$/, '');
  return `https://${serverName}`;
}

/**
 * Returns the verified Matrix user ID (`sub`). Throws `OpenIdError` when the token is
 * rejected, the homeserver is unreachable or slow, or `sub` is not on `serverName`.
 */
export async function lookupOpenIdUser(
  accessToken: string,
  serverName: string,
  overrides: ReadonlyMap<string, string>,
  timeoutMs: number,
): Promise<string> {
  if (!isValidServerName(serverName)) throw new OpenIdError('invalid matrix_server_name');
  const url = new URL(
    '/_matrix/federation/v1/openid/userinfo',
    `${homeserverBaseUrl(serverName, overrides)}/`,
  );
  url.searchParams.set('access_token', accessToken);

  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new OpenIdError(
      timedOut
        ? `userinfo request to ${serverName} timed out after ${timeoutMs} ms`
        : `userinfo request to ${serverName} failed`,
    );
  }
  let body: unknown;
  try {
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw new OpenIdError(`userinfo from ${serverName} answered HTTP ${response.status}`);
    }
    body = JSON.parse(text);
  } catch (err) {
    if (err instanceof OpenIdError) throw err;
    throw new OpenIdError(`userinfo from ${serverName} was not JSON`);
  }
  const sub =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)['sub']
      : undefined;
  if (typeof sub !== 'string') throw new OpenIdError(`userinfo from ${serverName} has no sub`);
  const colon = sub.indexOf(':');
  if (colon < 0 || sub.slice(colon + 1) !== serverName) {
    throw new OpenIdError(`userinfo sub ${JSON.stringify(sub)} is not on ${serverName}`);
  }
  return sub;
}
