import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
// The same Chromium and flags as the browser tests (scripts/chromium.mjs).
import { chromePath, chromiumFlags } from '../../scripts/chromium.mjs';

/** Launches Debian's Chromium with the fake-media and loopback flags, but those in `without`. */
export function launchChromium(
  extraArgs: string[] = [],
  options: LaunchOptions = {},
  without: readonly string[] = [],
): Promise<Browser> {
  return chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: [...chromiumFlags.filter((flag) => !without.includes(flag)), ...extraArgs],
    ...options,
  });
}
