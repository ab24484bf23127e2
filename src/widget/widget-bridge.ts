import { MatrixCapabilities, type IWidgetApiRequest, type WidgetApi } from 'matrix-widget-api';
import type { MatrixCallElement } from '../elements/matrix-call/matrix-call.js';

/** Widget actions between a call widget and its host, under Element Web's names. */
export const WidgetAction = {
  Join: 'io.element.join',
  HangUp: 'im.vector.hangup',
  Close: 'io.element.close',
  DeviceMute: 'io.element.device_mute',
  ThemeChange: 'theme_change',
  TileLayout: 'io.element.tile_layout',
  SpotlightLayout: 'io.element.spotlight_layout',
} as const;

export interface WidgetBridgeOptions {
  api: WidgetApi;
  element: MatrixCallElement;
  /** After leaving, stay in the lobby instead of asking the host to close us. */
  returnToLobby: boolean;
}

interface DeviceMute {
  audio_enabled?: unknown;
  video_enabled?: unknown;
}

/**
 * Speaks the call widget's side of the host's actions, both ways, for one `<matrix-call>`:
 * the host's join, hang-up, device mute and theme reach the element; our join, leave and
 * device changes reach the host (always on screen while in the call, close after leaving).
 * Call it before the session starts the widget API, so no early action goes unanswered.
 */
export function bridgeWidget({ api, element, returnToLobby }: WidgetBridgeOptions): () => void {
  api.requestCapability(MatrixCapabilities.AlwaysOnScreen);
  const handlers: [string, (request: IWidgetApiRequest) => unknown][] = [
    [
      WidgetAction.Join,
      () => {
        if (element.view === 'lobby') void element.join();
        return {};
      },
    ],
    [
      WidgetAction.HangUp,
      () => {
        void element.leave();
        return {};
      },
    ],
    [
      WidgetAction.DeviceMute,
      async (request) => {
        const { audio_enabled: audio, video_enabled: video } = request.data as DeviceMute;
        if (typeof audio === 'boolean') await element.toggleMicrophone(audio);
        if (typeof video === 'boolean') await element.toggleCamera(video);
        return deviceState(element);
      },
    ],
    [
      WidgetAction.ThemeChange,
      (request) => {
        const name = (request.data as { name?: unknown }).name;
        if (typeof name === 'string') element.theme = name.startsWith('dark') ? 'dark' : 'light';
        return {};
      },
    ],
    // Element Web asks for these when it docks or undocks the call; our grid lays itself out.
    [WidgetAction.TileLayout, () => ({})],
    [WidgetAction.SpotlightLayout, () => ({})],
  ];
  const listeners = handlers.map(([action, handle]) => {
    const listener = (event: CustomEvent<IWidgetApiRequest>) => {
      event.preventDefault();
      void (async () => {
        let reply: unknown;
        try {
          reply = await handle(event.detail);
        } catch (error) {
          reply = { error: { message: error instanceof Error ? error.message : String(error) } };
        }
        api.transport.reply(event.detail, reply as never);
      })();
    };
    api.on(`action:${action}`, listener);
    return () => api.off(`action:${action}`, listener);
  });

  const send = (action: string, data: Record<string, unknown> = {}) => {
    // A host that does not know an action says so; nothing here depends on its answer.
    api.transport.send(action, data).catch(() => undefined);
  };
  const onJoined = () => {
    send(WidgetAction.Join);
    api.setAlwaysOnScreen(true).catch(() => undefined);
  };
  const onLeft = () => {
    api.setAlwaysOnScreen(false).catch(() => undefined);
    send(WidgetAction.HangUp);
    if (!returnToLobby) send(WidgetAction.Close);
  };
  const onMedia = () => {
    send(WidgetAction.DeviceMute, deviceState(element));
  };
  element.addEventListener('call-joined', onJoined);
  element.addEventListener('call-left', onLeft);
  element.addEventListener('call-media-changed', onMedia);
  return () => {
    for (const undo of listeners) undo();
    element.removeEventListener('call-joined', onJoined);
    element.removeEventListener('call-left', onLeft);
    element.removeEventListener('call-media-changed', onMedia);
  };
}

function deviceState(element: MatrixCallElement) {
  const local = element.snapshot?.local;
  return {
    audio_enabled: local?.microphoneEnabled ?? false,
    video_enabled: local?.cameraEnabled ?? false,
  };
}
