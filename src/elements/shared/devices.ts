import { html, nothing } from 'lit';
import type { CallSnapshot, DeviceKind } from '../../core/types.js';
import type { Translator } from '../../i18n/index.js';

const pickers = [
  ['audioinput', 'microphone', 'audioInputId'],
  ['videoinput', 'camera', 'videoInputId'],
  ['audiooutput', 'speaker', 'audioOutputId'],
] as const;

/**
 * Labelled `<select>`s for the microphone, camera and (where the browser
 * allows) speaker: native controls, so they work with every keyboard and
 * screen reader. Shared by the lobby and the in-call device panel.
 */
export function devicePickers(
  t: Translator,
  { devices, local }: CallSnapshot,
  pick: (kind: DeviceKind, deviceId: string) => void,
) {
  return pickers.map(([kind, label, key]) => {
    const list = devices[kind];
    if (list.length === 0 || (kind === 'audiooutput' && !local.canSelectAudioOutput))
      return nothing;
    return html`<label
      >${t.t(label)}
      <select
        data-kind=${kind}
        @change=${(e: Event) => {
          pick(kind, (e.target as HTMLSelectElement).value);
        }}
      >
        ${list.map(
          (d) =>
            html`<option value=${d.deviceId} ?selected=${d.deviceId === local[key]}>
              ${d.label || t.t('defaultDevice')}
            </option>`,
        )}
      </select></label
    >`;
  });
}
