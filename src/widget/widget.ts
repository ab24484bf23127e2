/**
 * The widget page (`cdn/widget.html`): `<matrix-call>` as a widget host's call app, in place of
 * Element Call. It reads Element Call's URL parameters, reaches Matrix through the host (which
 * keeps the login and the crypto), and answers the host's call actions.
 */
import { WidgetApi } from 'matrix-widget-api';
import { createCallSession } from '../core/load.js';
import { bridgeWidget } from './widget-bridge.js';
import { readWidgetParams, type WidgetParams } from './widget-params.js';
import { showParamProblems, themeFor } from './widget-page.js';

const root = document.getElementById('call') ?? document.body;
const read = readWidgetParams(location.search, location.hash);
if (read.ok) void start(read.params);
else showParamProblems(root, read.problems, location.search, location.hash);

async function start(params: WidgetParams): Promise<void> {
  const api = new WidgetApi(params.widgetId, new URL(params.parentUrl).origin);
  // The elements come from the CDN entry (widget.html loads it first), not from this bundle.
  await customElements.whenDefined('matrix-call');
  const element = document.createElement('matrix-call');
  // A preloaded widget waits in the lobby for the host's io.element.join.
  element.skipLobby = params.skipLobby && !params.preload;
  element.returnToLobby = params.returnToLobby;
  themeFor(element, params);
  bridgeWidget({ api, element, returnToLobby: params.returnToLobby });
  root.replaceChildren(element);
  const voice = params.intent.includes('voice');
  element.session = await createCallSession({
    source: {
      kind: 'widget',
      widget: {
        api,
        roomId: params.roomId,
        userId: params.userId,
        deviceId: params.deviceId,
        baseUrl: params.baseUrl,
        // Element Web shows its own spinner until the widget is drawn and themed.
        drawn: element.updateComplete,
      },
    },
    room: params.roomId,
    intent: voice ? 'audio' : 'video',
    ...(voice ? { media: { cameraEnabled: false } } : {}),
    ...(params.password ? { password: params.password } : {}),
    requireEncryption: params.perParticipantE2EE,
    notify: params.sendNotificationType,
  });
}
