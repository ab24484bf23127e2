/** The recorded StackInfo of an instance (`<instance>/state.json`). */
import { readFile, writeFile } from 'node:fs/promises';
import { stackPaths } from './config.js';
import type { StackInfo } from './stack-info.js';

export async function readState(dataDir: string): Promise<StackInfo | undefined> {
  try {
    return JSON.parse(await readFile(stackPaths(dataDir).state, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}

/** Records the StackInfo (at start-up, and after a fault control restarted a service). */
export async function writeState(info: StackInfo): Promise<void> {
  await writeFile(stackPaths(info.dataDir).state, `${JSON.stringify(info, null, 2)}\n`);
}
