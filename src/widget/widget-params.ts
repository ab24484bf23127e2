/**
 * The URL a widget host gives the call widget, read as Element Call 0.26 reads it: each name
 * from the `#?…` fragment first, then from the query. Element Web puts `widgetId` and
 * `parentUrl` in the query and everything else in the fragment.
 */

/** Element Call's `intent` values (Element Web picks one per room and call type). */
export const WIDGET_INTENTS = [
  'start_call',
  'join_existing',
  'start_call_voice',
  'join_existing_voice',
  'start_call_dm',
  'start_call_dm_voice',
  'join_existing_dm',
  'join_existing_dm_voice',
] as const;
export type WidgetIntent = (typeof WIDGET_INTENTS)[number];

export interface WidgetParams {
  widgetId: string;
  /** The host page; its origin is the only one whose messages count. */
  parentUrl: string;
  roomId: string;
  userId: string;
  deviceId: string;
  /** The homeserver's client API base URL. */
  baseUrl: string;
  /** Per-participant keys over to-device; `false` for an unencrypted room. */
  perParticipantE2EE: boolean;
  /** Shared-secret E2EE instead (Element Call's `password`). */
  password: string | undefined;
  intent: WidgetIntent;
  skipLobby: boolean;
  /** Wait for the host's `io.element.join` before joining. */
  preload: boolean;
  returnToLobby: boolean;
  hideScreensharing: boolean;
  /** `none` hides our header: the host shows the room. */
  header: 'none' | 'standard' | 'app_bar';
  showControls: boolean;
  theme: 'light' | 'dark' | undefined;
  lang: string | undefined;
  fontScale: number | undefined;
  fonts: string[];
  displayName: string | undefined;
  /** Sent if we are the first in the call (Element Call's default: `notification`). */
  sendNotificationType: 'ring' | 'notification';
}

/** Names Element Call reads that change nothing here (analytics, its own config, mobile apps). */
const IGNORED = [
  'confineToRoom',
  'embed',
  'appPrompt',
  'hideHeader',
  'allowIceFallback',
  'analyticsID',
  'posthogApiHost',
  'posthogApiKey',
  'posthogUserId',
  'rageshakeSubmitUrl',
  'sentryDsn',
  'sentryEnvironment',
  'background',
  'controlledAudioDevices',
  'enableE2EE',
  'enableE2e',
  'waitForCallPickup',
  'autoLeave',
  'noiseSuppression',
  'echoCancellation',
  'allowVoipWithNoMedia',
  'viaServers',
  'homeserver',
];

const USED = [
  'widgetId',
  'parentUrl',
  'roomId',
  'userId',
  'deviceId',
  'baseUrl',
  'perParticipantE2EE',
  'password',
  'intent',
  'skipLobby',
  'preload',
  'returnToLobby',
  'hideScreensharing',
  'header',
  'showControls',
  'theme',
  'lang',
  'fontScale',
  'font',
  'displayName',
  'sendNotificationType',
];

export type WidgetParamsResult =
  { ok: true; params: WidgetParams } | { ok: false; problems: string[] };

/** Reads and checks every parameter; the problems name each one a host got wrong. */
export function readWidgetParams(search: string, hash: string): WidgetParamsResult {
  const fragment = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?')) : '');
  const query = new URLSearchParams(search);
  const problems: string[] = [];
  const known = new Set([...USED, ...IGNORED]);
  for (const name of new Set([...fragment.keys(), ...query.keys()]))
    if (!known.has(name)) problems.push(`unknown parameter "${name}"`);

  const get = (name: string) => fragment.get(name) ?? query.get(name) ?? undefined;
  const required = (name: string, valid: (v: string) => boolean, what: string) => {
    const value = get(name);
    if (value === undefined || value === '') problems.push(`"${name}" is missing`);
    else if (!valid(value)) problems.push(`"${name}" is not ${what}`);
    return value ?? '';
  };
  const flag = (name: string, fallback: boolean) => {
    const value = get(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === '') return true;
    if (value === 'false') return false;
    problems.push(`"${name}" is not true or false`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]): T | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if ((values as readonly string[]).includes(value)) return value as T;
    problems.push(`"${name}" is not one of ${values.join(', ')}`);
    return undefined;
  };

  const widgetId = required('widgetId', (v) => v.length <= 255, 'a widget ID');
  const parentUrl = required('parentUrl', isHttpUrl, 'an http(s) URL');
  const roomId = required('roomId', (v) => /^![^\s]+$/.test(v), 'a room ID (!…)');
  const userId = required('userId', (v) => /^@[^\s:]+:\S+$/.test(v), 'a user ID (@user:server)');
  const deviceId = required('deviceId', (v) => /^\S{1,255}$/.test(v), 'a device ID');
  const baseUrl = required('baseUrl', isHttpUrl, 'an http(s) URL');
  const intent = oneOf('intent', WIDGET_INTENTS) ?? 'join_existing';
  const dm = intent.includes('_dm');
  const themeName = oneOf('theme', [
    'light',
    'dark',
    'light-high-contrast',
    'dark-high-contrast',
  ] as const);
  const fontScaleText = get('fontScale');
  let fontScale: number | undefined;
  if (fontScaleText !== undefined) {
    fontScale = Number(fontScaleText);
    if (!Number.isFinite(fontScale) || fontScale < 0.5 || fontScale > 3) {
      problems.push('"fontScale" is not a number from 0.5 to 3');
      fontScale = undefined;
    }
  }
  const lang = get('lang');
  if (lang !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(lang))
    problems.push('"lang" is not a language tag');
  const fonts = [...fragment.getAll('font'), ...query.getAll('font')];
  if (fonts.some((f) => /[;{}<>]/.test(f)))
    problems.push('"font" holds characters no font name has');

  const params: WidgetParams = {
    widgetId,
    parentUrl,
    roomId,
    userId,
    deviceId,
    baseUrl,
    perParticipantE2EE: flag('perParticipantE2EE', true),
    password: get('password') || undefined,
    intent,
    // As Element Call: a direct-message call skips the lobby unless told otherwise.
    skipLobby: flag('skipLobby', dm),
    preload: flag('preload', false),
    returnToLobby: flag('returnToLobby', false),
    hideScreensharing: flag('hideScreensharing', false),
    header: oneOf('header', ['none', 'standard', 'app_bar'] as const) ?? 'none',
    showControls: flag('showControls', true),
    theme: themeName?.startsWith('dark') ? 'dark' : themeName ? 'light' : undefined,
    lang,
    fontScale,
    fonts,
    displayName: get('displayName') || undefined,
    sendNotificationType:
      oneOf('sendNotificationType', ['ring', 'notification'] as const) ??
      (intent.startsWith('start_call_dm') ? 'ring' : 'notification'),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
