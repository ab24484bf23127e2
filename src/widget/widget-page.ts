import { WidgetApi } from 'matrix-widget-api';
import type { MatrixCallElement } from '../elements/matrix-call/matrix-call.js';
import type { WidgetParams } from './widget-params.js';

/** The host's look: theme, language, font and scale, and the parts it asked us to hide. */
export function themeFor(element: MatrixCallElement, params: WidgetParams): void {
  if (params.theme) element.theme = params.theme;
  if (params.lang) element.lang = params.lang;
  if (params.fontScale) element.style.setProperty('zoom', String(params.fontScale));
  if (params.fonts.length > 0)
    element.style.setProperty(
      '--matrix-call-font',
      [...params.fonts.map((f) => JSON.stringify(f)), 'system-ui', 'sans-serif'].join(', '),
    );
  const hidden = [
    params.hideScreensharing && 'controls__screen-share-button',
    params.header === 'none' && 'header',
    !params.showControls && 'controls',
  ].filter((part): part is string => !!part);
  if (hidden.length === 0) return;
  const style = document.createElement('style');
  style.textContent = hidden.map((part) => `matrix-call::part(${part}){display:none}`).join('\n');
  document.head.append(style);
}

/**
 * A link the host got wrong: say what is wrong instead of showing an empty frame, and still
 * tell a host we can reach that we loaded, so it shows this page.
 */
export function showParamProblems(
  root: HTMLElement,
  problems: readonly string[],
  search: string,
  hash: string,
): void {
  const box = document.createElement('main');
  box.setAttribute('role', 'alert');
  box.className = 'widget-error';
  const title = document.createElement('h1');
  title.textContent = 'This call cannot open';
  const intro = document.createElement('p');
  intro.textContent =
    'The app that opened it gave it a link it does not understand. Ask the app’s admin to check the call widget settings:';
  const list = document.createElement('ul');
  for (const problem of problems) {
    const item = document.createElement('li');
    item.textContent = problem;
    list.append(item);
  }
  box.append(title, intro, list);
  root.replaceChildren(box);
  const fragment = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?')) : '');
  const query = new URLSearchParams(search);
  const widgetId = fragment.get('widgetId') ?? query.get('widgetId');
  const parentUrl = fragment.get('parentUrl') ?? query.get('parentUrl');
  try {
    if (!widgetId || !parentUrl) return;
    const api = new WidgetApi(widgetId, new URL(parentUrl).origin);
    api.start();
    api.sendContentLoaded().catch(() => undefined);
  } catch {
    // no host to tell
  }
}
