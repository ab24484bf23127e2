import type { enRare } from './en-rare.js';
import type { enReactions } from './en-reactions.js';

/**
 * The English strings the common views use (the lobby, the call, the controls); those of
 * the rarely shown views (sign-in, errors, "you left", ringing) are in `en-rare.ts` and
 * load with those views. `{name}` marks a value filled in at run time.
 */
export const enCommon = {
  // starting, lobby
  starting: 'Getting ready…',
  lobbyTitle: 'Ready to join?',
  yourName: 'Your name',
  microphone: 'Microphone',
  camera: 'Camera',
  speaker: 'Speaker',
  defaultDevice: 'Default',
  micLevel: 'Microphone level',
  preview: 'Camera preview',
  cameraOffPreview: 'Your camera is off',
  startCall: 'Start call',
  joinCall: 'Join call',
  joinCallOne: 'Join call (1 person)',
  joinCallOther: 'Join call ({count} people)',
  inCallNow: 'In the call now',
  // phases (translated per phase; the core's phaseLabel is English only)
  'phase-discovering': 'Finding the call server…',
  'phase-authorizing': 'Getting permission to join…',
  'phase-connecting': 'Connecting to the call server…',
  'phase-publishing': 'Starting your camera and microphone…',
  'phase-joining': 'Joining the call…',
  'phase-reconnecting': 'Reconnecting…',
  'phase-leaving': 'Leaving…',
  cancel: 'Cancel',
  // in call
  participantsOne: '1 participant',
  participantsOther: '{count} participants',
  'e2ee-per-participant': 'End-to-end encrypted',
  'e2ee-per-participant-detail':
    'Everyone encrypts their media with their own keys, sent only to the people in the call.',
  'e2ee-shared-secret': 'Encrypted with a shared password',
  'e2ee-shared-secret-detail':
    'Media is encrypted with a shared password: anyone who knows it can join and listen.',
  'e2ee-none': 'Not encrypted',
  'e2ee-none-detail': 'The call server can see and hear this call.',
  youName: '{name} (you)',
  screenOf: '{name} is presenting',
  waitingForKey: 'Waiting for encryption key',
  cannotDecrypt: 'Cannot decrypt',
  cannotEncrypt: "Their app can't encrypt",
  micMuted: 'Microphone off',
  'quality-excellent': 'Excellent connection',
  'quality-good': 'Good connection',
  'quality-poor': 'Poor connection',
  'quality-lost': 'Connection lost',
  'quality-unknown': 'Connection quality unknown',
  pin: 'Pin {name}',
  movePip: 'Your video. Use the arrow keys to move it.',
  previousPage: 'Previous page',
  nextPage: 'Next page',
  pageOf: 'Page {page} of {pages}',
  waitingForOthers: 'Waiting for others to join…',
  enableAudio: 'Click to hear the call',
  // controls
  controls: 'Call controls',
  micOn: 'Microphone on',
  turnMicOff: 'Turn microphone off',
  turnMicOn: 'Turn microphone on',
  turnCameraOff: 'Turn camera off',
  turnCameraOn: 'Turn camera on',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  leave: 'Leave',
  chooseMicrophone: 'Choose microphone',
  chooseCamera: 'Choose camera',
  settings: 'Devices',
  pushToTalk: 'Hold Space to talk',
  reactions: 'Reactions',
  handRaised: 'Hand raised',
  // announcements
  joined: '{name} joined',
  left: '{name} left',
  youJoined: 'You joined the call',
  raisedHand: '{name} raised their hand',
  loweredHand: '{name} lowered their hand',
  reacted: '{name} reacted {emoji}',
  // failed, ended (the rest is in en-rare.ts)
  retry: 'Try again',
  callEnded: 'You left the call',
};

/** Every string the elements show, by key. */
export type CallStrings = {
  [K in keyof typeof enCommon | keyof typeof enRare | keyof typeof enReactions]: string;
};
export type CallStringKey = keyof CallStrings;
