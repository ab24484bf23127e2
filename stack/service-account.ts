/**
 * The auth service's account on its homeserver: a server admin (`@mc-auth-service`) whose
 * token lets the service check room membership through Synapse's admin API. Created at
 * start-up, or logged into again when the database already has it; the token goes to a file
 * (mode 0600) that only the auth service reads, never to StackInfo or a log.
 */
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REGISTRATION_SHARED_SECRET, stackPaths } from './config.js';
import { MatrixApiError, loginUser, registerUser } from './provision.js';
import type { DeploymentInfo, ServiceName } from './stack-info.js';

export const SERVICE_ACCOUNT = 'mc-auth-service';

export function serviceAccountTokenFile(dataDir: string, auth: ServiceName): string {
  return join(stackPaths(dataDir).data, `${auth}.token`);
}

export async function ensureServiceAccount(d: DeploymentInfo, tokenFile: string): Promise<void> {
  // Local-only, derived so that a restart with the same database can log in again.
  const password = createHmac('sha256', REGISTRATION_SHARED_SECRET)
    .update(`${SERVICE_ACCOUNT}@${d.serverName}`)
    .digest('hex');
  let token: string;
  try {
    ({ accessToken: token } = await registerUser(d, {
      username: SERVICE_ACCOUNT,
      password,
      admin: true,
      displayName: 'Call auth service',
    }));
  } catch (err) {
    if (!(err instanceof MatrixApiError) || err.errcode !== 'M_USER_IN_USE') throw err;
    ({ accessToken: token } = await loginUser(d, SERVICE_ACCOUNT, password));
  }
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
}
