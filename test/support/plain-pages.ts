/**
 * One fresh page in each browser CI runs, behind the same three calls, for tests that only
 * load a page and read from it: Chromium (playwright-core), Firefox ESR (puppeteer-core over
 * WebDriver BiDi) and WebKitGTK (webdriverio and WebKitWebDriver, on its own Xvfb). Each
 * `open` starts with empty caches: a new browser context, or in WebKitGTK a new session.
 */
import * as puppeteer from 'puppeteer-core';
import { remote } from 'webdriverio';
import { firefoxLaunchOptions } from '../../scripts/firefox.mjs';
import { startWebKitDriver, webkitCapabilities } from '../../scripts/webkit.mjs';
import { launchChromium } from './browser.js';

export type PlainBrowserName = 'chromium' | 'firefox' | 'webkit';
export const plainBrowserNames: readonly PlainBrowserName[] = ['chromium', 'firefox', 'webkit'];

export interface PlainPage {
  /** Runs `fn` in the page (serialised: no closures) and resolves with its (awaited) result. */
  evaluate<T>(fn: () => T): Promise<Awaited<T>>;
  close(): Promise<void>;
}

export interface PlainBrowser {
  open(url: string): Promise<PlainPage>;
  close(): Promise<void>;
}

/** The three libraries each type a page function's result their own way; it is this. */
const result = <T>(value: Promise<unknown>) => value as Promise<Awaited<T>>;

async function chromium(): Promise<PlainBrowser> {
  const browser = await launchChromium();
  return {
    async open(url) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      return {
        evaluate: <T>(fn: () => T) => result<T>(page.evaluate(fn)),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

async function firefox(): Promise<PlainBrowser> {
  const browser = await puppeteer.launch({ ...firefoxLaunchOptions(), protocolTimeout: 60_000 });
  return {
    async open(url) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.goto(url);
      return {
        evaluate: <T>(fn: () => T) => result<T>(page.evaluate(fn)),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

async function webkit(): Promise<PlainBrowser> {
  const driver = await startWebKitDriver();
  return {
    async open(url) {
      const session = await remote({
        capabilities: webkitCapabilities,
        hostname: '127.0.0.1',
        port: driver.port,
        logLevel: 'error',
      });
      try {
        await session.navigateTo(url);
      } catch (error) {
        await session.deleteSession();
        throw error;
      }
      return {
        evaluate: <T>(fn: () => T) => result<T>(session.execute(`return (${fn.toString()})();`)),
        close: () => session.deleteSession(),
      };
    },
    close: () => driver.stop(),
  };
}

export function launchPlainBrowser(name: PlainBrowserName): Promise<PlainBrowser> {
  return { chromium, firefox, webkit }[name]();
}
