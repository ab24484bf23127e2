// The demo page's script: what a real page writes to embed a call.
const call = document.querySelector('#call');
const setup = document.querySelector('#setup');
const look = document.querySelector('#look');
const log = document.querySelector('#log');

// A link may carry the call in its fragment, e.g.
// #homeserver=http://127.0.0.1:8008&room=!abc:localhost&user=alice&password=…&e2ee=…
// The fragment never reaches a server; `password` is the account password used to sign in,
// `e2ee` the optional shared secret for the call.
const params = new URLSearchParams(location.hash.slice(1));
const homeserver = params.get('homeserver') ?? '';
const room = params.get('room') ?? '';
setup.homeserver.value = homeserver;
setup.room.value = room;
setup.e2ee.value = params.get('e2ee') ?? '';

function open(values) {
  if (values.homeserver) call.homeserver = values.homeserver;
  call.password = values.e2ee ?? '';
  call.room = values.room ?? '';
}

// The signed-in session (credentials of one device) lives in sessionStorage: per tab, gone
// when the tab closes, and kept across reloads. A reload then rejoins as the same device, so
// the call replaces that device's membership instead of leaving a ghost behind, and no new
// device piles up in the account on every reload. (A password login per load would create a
// new device each time.) Pages that have their own sign-in keep the session the same way.
const SESSION_KEY = 'matrix-call-demo:session';
const who = document.querySelector('#who');
const signOutButton = document.querySelector('#sign-out');

function storedSession(hs, user) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (!saved || saved.homeserver !== hs) return undefined;
    // `user` may be a localpart (alice) or a user ID (@alice:server).
    if (user && saved.userId !== user && !saved.userId.startsWith(`@${user}:`)) return undefined;
    return saved;
  } catch {
    return undefined;
  }
}

/** Signs in with a password and hands the element credentials (a property, never an attribute). */
async function signIn(hs, user, password) {
  const response = await fetch(new URL('/_matrix/client/v3/login', hs), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
      initial_device_display_name: `matrix-call demo on ${location.host}`,
    }),
  });
  if (!response.ok) throw new Error(`Sign-in failed: HTTP ${response.status}`);
  const body = await response.json();
  const credentials = {
    homeserver: hs,
    userId: body.user_id,
    deviceId: body.device_id,
    accessToken: body.access_token,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(credentials));
  return credentials;
}

function use(credentials) {
  call.credentials = credentials;
  who.textContent = `Signed in as ${credentials.userId}`;
  signOutButton.hidden = false;
}

/** Leaves the call, logs this device out and forgets the session. */
async function signOut() {
  const credentials = call.credentials;
  await call.leave();
  call.credentials = undefined;
  sessionStorage.removeItem(SESSION_KEY);
  signOutButton.hidden = true;
  who.textContent = 'Signed out';
  if (credentials) {
    await fetch(new URL('/_matrix/client/v3/logout', credentials.homeserver), {
      method: 'POST',
      headers: { authorization: `Bearer ${credentials.accessToken}` },
    }).catch(() => undefined);
  }
}
signOutButton.addEventListener('click', () => void signOut());

const user = params.get('user') ?? '';
const saved = homeserver ? storedSession(homeserver, user) : undefined;
if (saved) {
  use(saved);
} else if (homeserver && user && params.get('password')) {
  try {
    use(await signIn(homeserver, user, params.get('password')));
  } catch (error) {
    who.textContent = String(error.message);
  }
}
if (params.has('password')) {
  // Forget the password: keep only where the call is in the address bar.
  const rest = new URLSearchParams(params);
  rest.delete('password');
  history.replaceState(null, '', `#${rest}`);
}
open({ homeserver, room, e2ee: setup.e2ee.value });

setup.addEventListener('submit', (event) => {
  event.preventDefault();
  open(Object.fromEntries(new FormData(setup)));
});

look.addEventListener('change', () => {
  call.className = look.querySelector('[name=look]').value;
  call.theme = look.querySelector('[name=theme]').value;
  call.lang = look.querySelector('[name=lang]').value;
});

const line = (text) => {
  log.textContent = `${new Date().toLocaleTimeString()} ${text}\n${log.textContent}`;
};
call.addEventListener('call-joined', () => line('call-joined'));
call.addEventListener('call-left', (e) => line(`call-left (${e.reason})`));
call.addEventListener('call-error', (e) => {
  line(`call-error ${e.error.reason}: ${e.error.message}`);
  // The stored session was signed out elsewhere: forget it, so the next load signs in again.
  if (e.error.reason === 'unknown-token') sessionStorage.removeItem(SESSION_KEY);
});
call.addEventListener('call-state-changed', (e) => line(`call-state-changed ${e.phase}`));
call.addEventListener('call-participant-joined', (e) =>
  line(`call-participant-joined ${e.participant.displayName}`),
);
call.addEventListener('call-participant-left', (e) =>
  line(`call-participant-left ${e.participant.displayName}`),
);
call.addEventListener('call-media-changed', (e) =>
  line(
    `call-media-changed mic=${e.microphoneEnabled} camera=${e.cameraEnabled} screen=${e.screenShareEnabled}`,
  ),
);
