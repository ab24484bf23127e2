import type {
  CallSessionOptions,
  MatrixCredentials,
  PasswordLogin,
  SessionSource,
} from '../../core/types.js';

/** What `<matrix-call>` makes its session from: its attributes and properties, and the sign-in form. */
export interface SessionInputs {
  client?: Extract<SessionSource, { kind: 'client' }>['client'];
  credentials?: MatrixCredentials;
  accessToken: string;
  homeserver: string;
  userId: string;
  deviceId: string;
  room: string;
  password: string;
  intent: string;
  notify: '' | 'ring' | 'notification' | 'none';
  livekitServiceUrl: string;
  e2eeWorkerUrl?: string | URL;
}

/** What the sign-in form gave: an account, and the room if none was set. */
export interface SignInForm {
  login: PasswordLogin | undefined;
  room: string;
}

/** The inputs whose change means a new session. */
export const sessionInputNames = [
  'client',
  'credentials',
  'accessToken',
  'homeserver',
  'userId',
  'deviceId',
  'room',
  'password',
  'intent',
  'notify',
  'livekitServiceUrl',
  'e2eeWorkerUrl',
  'session',
  'login',
  'formRoom',
] as const;

/** How to reach Matrix, in order: a client, credentials, a token with IDs, a sign-in. */
export function sessionSource(i: SessionInputs, form?: SignInForm): SessionSource | undefined {
  if (i.client) return { kind: 'client', client: i.client };
  if (i.credentials) return { kind: 'credentials', credentials: i.credentials };
  if (i.accessToken && i.homeserver && i.userId && i.deviceId)
    return {
      kind: 'credentials',
      credentials: {
        homeserver: i.homeserver,
        userId: i.userId,
        deviceId: i.deviceId,
        accessToken: i.accessToken,
      },
    };
  if (form?.login) return { kind: 'password', login: form.login };
  return undefined;
}

/** The core's options, or `undefined` while there is no way in or no room yet. */
export function sessionOptions(i: SessionInputs, form: SignInForm): CallSessionOptions | undefined {
  const source = sessionSource(i, form);
  const room = i.room || form.room;
  if (!source || !room) return undefined;
  const [verb, media] = i.intent.split('-');
  const options: CallSessionOptions = {
    source,
    room,
    intent: media === 'audio' ? 'audio' : 'video',
  };
  if (media === 'audio') options.media = { cameraEnabled: false };
  if (i.password) options.password = i.password;
  if (i.livekitServiceUrl) options.livekitServiceUrl = i.livekitServiceUrl;
  if (verb !== 'join' && i.notify !== 'none') options.notify = i.notify || 'auto';
  if (i.e2eeWorkerUrl) options.e2eeWorkerUrl = i.e2eeWorkerUrl;
  return options;
}
