import { ChromeLauncher, chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { chromePath, chromiumFlags } from './chromium.mjs';
import { firefoxLaunchOptions } from './firefox.mjs';
import { startSoundServer } from './sound-server.mjs';
import { WebdriverLauncher } from '@web/test-runner-webdriver';
import { startWebKitDriver, webkitCapabilities } from './webkit.mjs';

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

/**
 * Debian's WebKitGTK over classic WebDriver (@web/test-runner-webdriver and
 * WebKitWebDriver), on its own Xvfb and sound server (scripts/webkit.mjs).
 */
class WebKitLauncher extends WebdriverLauncher {
  #driver;
  #focused = false;

  constructor() {
    super({ capabilities: webkitCapabilities, hostname: '127.0.0.1', port: 0, logLevel: 'error' });
  }

  async initialize(config, testFiles) {
    this.#driver ??= await startWebKitDriver();
    this.options.port = this.#driver.port;
    await super.initialize(config, testFiles);
    this.name = 'WebKitGTK';
  }

  /** The session's window opens with the first test file; it gets the keyboard focus then. */
  async startSession(id, url) {
    await this.ensureManagerInitialized();
    if (!this.#focused) {
      await this.#driver.focusBrowserWindow();
      this.#focused = true;
    }
    return super.startSession(id, url);
  }

  async stop() {
    await super.stop();
    await this.#driver?.stop();
    this.#driver = undefined;
    this.#focused = false;
  }
}

export function webkitLauncher() {
  return new WebKitLauncher();
}

/**
 * `executeServerCommand('viewport', {width, height})`: @web/test-runner-commands' setViewport
 * for every launcher, WebDriver ones too (there the window is sized until the page's
 * viewport has that size).
 */
export function viewportCommand() {
  return {
    name: 'viewport-command',
    async executeCommand({ command, payload, session }) {
      if (command !== 'viewport') return undefined;
      const { width, height } = payload;
      const launcher = session.browser;
      if (launcher.type === 'puppeteer') {
        await launcher.getPage(session.id).setViewport({ width, height });
        return true;
      }
      if (launcher.type !== 'webdriver' || !launcher.driver)
        throw new Error(`viewport: not supported for ${launcher.type}`);
      const driver = launcher.driver;
      const inner = () => driver.execute(() => [innerWidth, innerHeight]);
      const fits = ([w, h]) => w === width && h === height;
      for (let i = 0; i < 4; i++) {
        const [w, h] = await inner();
        if (fits([w, h])) return true;
        const size = await driver.getWindowSize();
        await driver.setWindowSize(size.width + width - w, size.height + height - h);
        // The page learns its new size a little after the window has it: wait for it, so the
        // next round's window and page sizes belong together (the window may also refuse).
        const deadline = Date.now() + 5000;
        while (!fits(await inner()) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
      }
      const [w, h] = await inner();
      throw new Error(`viewport: the window gives ${w}×${h}, not ${width}×${height}`);
    },
  };
}

/** WebDriver's codes of the named keys the tests use (one character stands for itself). */
const webdriverKeys = {
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Meta: '\uE03D',
  Tab: '\uE004',
  Enter: '\uE007',
  Escape: '\uE00C',
  Space: ' ',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
};

/**
 * `sendKeys({ down })` and `sendKeys({ up })` for WebDriver launchers, which
 * @web/test-runner-commands supports only for puppeteer and playwright, and a `press` while
 * a key is held (so Shift+Tab is one chord). It must answer before that plugin (which throws
 * for them), so it moves itself to the front of the dispatcher's list.
 */
export function webdriverKeyHold() {
  const held = new Set();
  const plugin = {
    name: 'webdriver-key-hold',
    serverStart({ config }) {
      // The test runner's command dispatcher asks its own list of plugins, in order.
      for (const other of config.plugins ?? []) {
        const list = other.plugins;
        if (!Array.isArray(list) || !list.includes(plugin)) continue;
        list.splice(list.indexOf(plugin), 1);
        list.unshift(plugin);
      }
    },
    async executeCommand({ command, payload, session }) {
      if (command !== 'send-keys' || session.browser.type !== 'webdriver') return undefined;
      const code = (key) => webdriverKeys[key] ?? key;
      let actions;
      if (payload?.down !== undefined) {
        held.add(payload.down);
        actions = [{ type: 'keyDown', value: code(payload.down) }];
      } else if (payload?.up !== undefined) {
        held.delete(payload.up);
        actions = [{ type: 'keyUp', value: code(payload.up) }];
      } else if (payload?.press !== undefined && held.size > 0) {
        const value = code(payload.press);
        actions = [
          ...[...held].map((key) => ({ type: 'keyDown', value: code(key) })),
          { type: 'keyDown', value },
          { type: 'keyUp', value },
        ];
      } else {
        return undefined;
      }
      await session.browser.driver.performActions([{ type: 'key', id: 'keyboard', actions }]);
      return true;
    },
  };
  return plugin;
}
