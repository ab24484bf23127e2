// Browser-side access to the local stack (see stack/): provisioning runs in
// Node through a test-runner server command, because it uses the
// registration shared secret, which must never reach a page.
import { executeServerCommand } from '@web/test-runner-commands';

export interface StackUrls {
  homeserverUrl: string;
  serverName: string;
  authServiceUrl: string;
  livekitUrl: string;
  noTransport: boolean;
}

export interface TestUser {
  userId: string;
  deviceId: string;
  accessToken: string;
  username: string;
  password: string;
  homeserverUrl: string;
}

function stack<T>(payload: Record<string, unknown>): Promise<T> {
  return executeServerCommand<T, Record<string, unknown>>('stack', payload);
}

/** `main` is the running stack; `sfu2` a second LiveKit + auth service on the same homeserver; `no-transport` a homeserver advertising no SFU. */
export type StackName = 'main' | 'sfu2' | 'no-transport';

export const stackUrls = (name: StackName = 'main') =>
  stack<StackUrls>({ op: 'info', stack: name });

export const registerUser = (
  options: { username?: string; displayName?: string; password?: string } = {},
  name: StackName = 'main',
) => stack<TestUser>({ op: 'registerUser', options, stack: name });

export const createRoom = (
  creator: TestUser,
  options: {
    encrypted?: boolean;
    name?: string;
    invite?: TestUser[];
    autoJoin?: boolean;
    alias?: string;
    powerLevelContentOverride?: object;
  } = {},
  name: StackName = 'main',
) => stack<{ roomId: string; alias?: string }>({ op: 'createRoom', creator, options, stack: name });

/** URL of a server that answers 404 without CORS headers (a page sees a CORS failure). */
export const noCorsService = () => stack<string>({ op: 'noCorsService' });

/** URL of a fault-injecting proxy in front of the main homeserver (stack/homeserver-proxy). */
export const homeserverProxy = () => stack<string>({ op: 'homeserverProxy' });

/** Sets the faults of a proxy from `homeserverProxy()`, e.g. `{ dropPercent: 100 }`. */
export const setHomeserverFaults = (
  url: string,
  faults: { latencyMs?: number; dropPercent?: number; dropMode?: string },
) => stack<unknown>({ op: 'setHomeserverFaults', url, faults });

/** URL of a web site (HTML on every path, with CORS): not a homeserver. */
export const websiteServer = () => stack<string>({ op: 'websiteServer' });

/** URL of an auth service that sends 200 and its headers, then stalls the body. */
export const stallingService = () => stack<string>({ op: 'stallingService' });

/** URL of an extra lk-jwt-service that grants, but refuses delegated delayed leaves. */
export const nonDelegatingAuthService = () => stack<string>({ op: 'nonDelegatingAuthService' });

/** URL of an extra lk-jwt-service whose OpenID check cannot succeed. */
export const misconfiguredAuthService = () => stack<string>({ op: 'misconfiguredAuthService' });

export const joinRoom = (user: TestUser, room: string) =>
  stack<string>({ op: 'joinRoom', user, room });

export const credentialsOf = (user: TestUser) => ({
  homeserver: user.homeserverUrl,
  userId: user.userId,
  deviceId: user.deviceId,
  accessToken: user.accessToken,
});

export { waitFor } from '../support/wait-for.js';
