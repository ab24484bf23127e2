/**
 * English strings of the rarely shown views (sign-in, errors, "you left", ringing). They
 * load with those views, which keeps the entry small; `en-common` has the rest.
 */
export const enRare = {
  signInTitle: 'Sign in to join the call',
  homeserver: 'Homeserver',
  username: 'Username',
  accountPassword: 'Password',
  roomAddress: 'Room',
  signIn: 'Sign in',
  forYou: 'What you can do',
  forAdmin: 'For the server admin',
  copyDiagnostics: 'Copy diagnostics',
  copied: 'Diagnostics copied',
  copyFailed: 'Could not copy the diagnostics',
  // notices in the call
  'homeserver-lost':
    'Connection to your homeserver lost; the call continues. People joining or leaving show up once it is back.',
  'password-mismatch':
    "Some people's video and sound cannot be decrypted: your password for this call probably differs from theirs. Check it with them, then rejoin.",
  'error-invalid-config': 'The call is not set up correctly',
  'error-homeserver-unreachable': 'Cannot reach the homeserver',
  'error-not-a-homeserver': 'That is not a Matrix homeserver',
  'error-unknown-token': 'Your session has ended',
  'error-login-failed': 'Sign-in failed',
  'error-room-not-found': 'Room not found',
  'error-not-in-room': 'You are not in this room',
  'error-crypto-init-failed': 'Encryption could not start',
  'error-no-rtc-transport': 'No call server is set up',
  'error-jwt-fetch-failed': 'The call server refused to let you in',
  'error-sfu-room-creation-restricted': 'This call server cannot start your call',
  'error-livekit-connect-failed': 'Cannot connect to the call server',
  'error-connection-lost': 'Connection lost',
  'error-membership-forbidden': 'Not allowed to join calls here',
  'error-membership-failed': 'Could not join the call',
  'error-media-permission-denied': 'Camera or microphone blocked',
  'error-media-device-not-found': 'Device not found',
  'error-media-device-failed': 'Device could not start',
  'error-e2ee-unsupported': 'This browser cannot encrypt calls',
  'error-aborted': 'Cancelled',
  'error-unknown': 'Something went wrong',
  incomingCall: '{name} is calling',
  callStarted: '{name} started a call',
  answer: 'Join',
  dismiss: 'Dismiss',
  rejoin: 'Rejoin',
  backToLobby: 'Back to the lobby',
};
