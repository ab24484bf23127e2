import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
// The same Chromium and flags as the browser tests (scripts/chromium.mjs).
import { chromePath, chromiumFlags } from '../../scripts/chromium.mjs';

/** Launches Debian's Chromium with the fake-media and loopback flags. */
export function launchChromium(
  extraArgs: string[] = [],
  options: LaunchOptions = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: [...chromiumFlags, ...extraArgs],
    ...options,
  });
}
