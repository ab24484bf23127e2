/**
 * Changing an auth service's settings on a running stack (for tests): the deployment's
 * recorded settings are updated and its auth service is restarted on the same port.
 */
import { restartService } from './faults.js';
import { serviceName } from './services.js';
import type { DeploymentId, StackInfo } from './stack-info.js';

/**
 * Which `matrix_server_name`s the deployment's auth service lets create LiveKit rooms;
 * `[]` = nobody. Resolves once the restarted service is healthy. Delegated leave events it
 * was looking after are dropped (the homeservers' own timers send them).
 */
export async function setFullAccessHomeservers(
  info: StackInfo,
  deployment: DeploymentId,
  servers: readonly string[],
): Promise<void> {
  if (deployment === 'a') info.fullAccessHomeservers = [...servers];
  const d = info.federation?.[deployment];
  if (d) d.fullAccessHomeservers = [...servers];
  else if (deployment === 'b')
    throw new Error('This stack is not federated: it has no deployment B.');
  await restartService(info, serviceName('auth', deployment), { signal: 'SIGTERM' });
}
