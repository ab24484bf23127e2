// Shared helpers for the component tests.
import { aTimeout, expect, nextFrame, waitUntil } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';

import { defineElements } from '../../src/elements/define-elements.js';

defineElements();

// chai-a11y-axe expects axe-core to register `window.axe`; the test server's
// CommonJS transform wraps it in a lazy `__require` instead, so register it here.
const axeModule = (await import('axe-core')) as unknown as {
  default?: unknown;
  __require?: () => unknown;
};
(window as unknown as { axe?: unknown }).axe ??= axeModule.default ?? axeModule.__require?.();

/** The first match in an element's shadow root; fails the test when missing. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed query
export function $<T extends Element = HTMLElement>(host: Element, selector: string): T {
  const found = host.shadowRoot?.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector} in <${host.localName}>`);
  return found;
}

/** Every match in an element's shadow root. */
export function $$<T extends Element = HTMLElement>(host: Element, selector: string): T[] {
  return [...(host.shadowRoot?.querySelectorAll<T>(selector) ?? [])];
}

/** Waits until `check` holds, with a readable failure. */
export async function until(check: () => boolean, message: string, timeout = 3000) {
  await waitUntil(check, message, { timeout, interval: 10 });
}

/** Lets a Lit update cycle (and one frame) pass. */
export async function settle(el?: { updateComplete: Promise<unknown> }): Promise<void> {
  await el?.updateComplete;
  await nextFrame();
  await el?.updateComplete;
}

/** All text of an element's shadow tree (and nested shadow trees), whitespace collapsed. */
export function deepText(node: Node): string {
  const parts: string[] = [];
  const walk = (n: Node) => {
    if (n instanceof Element && n.shadowRoot) walk(n.shadowRoot);
    if (n.nodeType === Node.TEXT_NODE) parts.push(n.textContent ?? '');
    for (const child of n.childNodes) walk(child);
  };
  walk(node);
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/** Every element in a tree, descending into open shadow roots. */
export function deepElements(root: Node): Element[] {
  const out: Element[] = [];
  const walk = (n: Node) => {
    if (n instanceof Element) {
      out.push(n);
      if (n.shadowRoot) walk(n.shadowRoot);
    }
    for (const child of n.childNodes) walk(child);
  };
  walk(root);
  return out;
}

/** Finds an element anywhere below `root`, across shadow roots. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed query
export function deepQuery<T extends Element = HTMLElement>(
  root: Node,
  selector: string,
): T | undefined {
  return deepElements(root).find((e) => e.matches(selector)) as T | undefined;
}

/** Records events of the given types fired at (or bubbling through) `target`. */
export function recordEvents(target: EventTarget, types: string[]): Event[] {
  const events: Event[] = [];
  for (const type of types) target.addEventListener(type, (e) => events.push(e));
  return events;
}

/** WCAG relative luminance contrast between two computed `rgb()` colours. */
export function contrast(a: string, b: string): number {
  const lum = (color: string) => {
    const [r = 0, g = 0, bl = 0] = (color.match(/[\d.]+/g) ?? []).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}

/** The widths every element is checked at: a desktop window and a phone. */
export const viewports = [
  { name: 'desktop', width: 1100, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Waits for entry animations (not endless ones such as spinners): colours are final then. */
async function finishedAnimations(root: Element): Promise<void> {
  const running = deepElements(root)
    .flatMap((e) => e.getAnimations())
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => undefined)));
}

/** The test runner's own viewport, restored after each check. */
const defaultViewport = { width: 800, height: 600 };

/** Resizes the viewport, in WebDriver browsers too (`viewportCommand`, scripts/wtr-browsers.mjs). */
const setViewport = (size: { width: number; height: number }) =>
  executeServerCommand('viewport', { width: size.width, height: size.height });

/**
 * Runs axe on `el` at desktop and at phone width (media queries follow the viewport);
 * `label` names the state under test in the failure.
 */
export async function assertAccessibleAtEveryWidth(
  el: Element & { updateComplete?: Promise<unknown> },
  label: string,
): Promise<void> {
  try {
    for (const viewport of viewports) {
      await setViewport(viewport);
      await settle(el.updateComplete ? (el as { updateComplete: Promise<unknown> }) : undefined);
      await nextFrame();
      await finishedAnimations(el);
      try {
        await expect(el).to.be.accessible();
      } catch (error) {
        throw new Error(`${label}, ${viewport.name} (${viewport.width} px): ${String(error)}`);
      }
    }
  } finally {
    await setViewport(defaultViewport);
  }
}

export { aTimeout };
