import { ChromeLauncher, chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { chromePath, chromiumFlags } from './chromium.mjs';
import { firefoxLaunchOptions } from './firefox.mjs';
import { startSoundServer } from './sound-server.mjs';

/** Debian's Chromium, driven over CDP by puppeteer-core. */
export function chromiumLauncher() {
  return chromeLauncher({
    launchOptions: { executablePath: chromePath, headless: true, args: chromiumFlags },
  });
}

/**
 * Debian's Firefox ESR over WebDriver BiDi (puppeteer-core's `browser: 'firefox'`), with its
 * own PulseAudio null sink so that its AudioContexts run (scripts/sound-server.mjs).
 */
class FirefoxLauncher extends ChromeLauncher {
  #sound;

  constructor() {
    super(
      firefoxLaunchOptions(),
      ({ browser }) => browser.defaultBrowserContext(),
      ({ context }) => context.newPage(),
      puppeteerCore,
    );
  }

  async initialize(config, testFiles) {
    this.#sound ??= await startSoundServer();
    this.launchOptions = {
      ...this.launchOptions,
      env: { ...process.env, ...this.#sound.env },
    };
    return super.initialize(config, testFiles);
  }

  async stop() {
    await super.stop();
    await this.#sound?.stop();
    this.#sound = undefined;
  }
}

export function firefoxLauncher() {
  return new FirefoxLauncher();
}
