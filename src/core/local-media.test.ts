// LocalMedia against the browser's fake camera and microphone: real getUserMedia, no server.
import { assert } from '@open-wc/testing';
import { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';
import { LocalMedia, mediaError } from './local-media.js';

function make(options: Partial<ConstructorParameters<typeof LocalMedia>[0]> = {}) {
  const errors: MatrixCallError[] = [];
  let changes = 0;
  const media = new LocalMedia({
    log: new DiagnosticsLog(),
    onChange: () => changes++,
    onError: (e) => errors.push(e),
    ...options,
  });
  return { media, errors, changes: () => changes };
}

async function until(check: () => boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LocalMedia', () => {
  it('previews camera and microphone, lists labelled devices and meters the mic', async () => {
    const { media, errors, changes } = make();
    try {
      await media.startPreview();
      const state = media.state;
      assert.deepEqual(errors, []);
      assert.equal(state.cameraTrack?.mediaStreamTrack.readyState, 'live');
      assert.equal(state.cameraTrack?.kind, 'video');
      assert.equal(state.microphoneTrack?.mediaStreamTrack.readyState, 'live');
      assert.isAbove(media.devices.videoinput.length, 0);
      assert.isAbove(media.devices.audioinput.length, 0);
      assert.isNotEmpty(media.devices.videoinput[0]?.label);
      // Choosing the speaker needs setSinkId: Chromium and Firefox have it, WebKitGTK not.
      const webkitGtk = /X11.*Version\/[\d.]+ Safari\//.test(navigator.userAgent);
      assert.equal(media.state.canSelectAudioOutput, !webkitGtk, 'a speaker choice with setSinkId');
      // The fake microphones play a beep (Chromium) or a tone (Firefox, WebKitGTK): the meter moves.
      await until(() => media.state.audioLevel > 0, 'a microphone level');
      assert.isAbove(changes(), 0);
    } finally {
      await media.dispose();
    }
  });

  it('keeps a refused camera as the state’s problem, and forgets it once the camera works', async () => {
    const { media, errors } = make();
    const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    // A stand-in for the browser's "Block": Chromium here always grants the fake devices.
    navigator.mediaDevices.getUserMedia = (constraints) =>
      constraints?.video
        ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
        : real(constraints);
    try {
      await media.startPreview();
      assert.equal(media.state.problem?.reason, 'media-permission-denied');
      assert.isFalse(media.state.cameraEnabled);
      assert.equal(
        media.state.microphoneTrack?.mediaStreamTrack.readyState,
        'live',
        'the mic works',
      );
      assert.deepEqual(
        errors.map((e) => e.reason),
        ['media-permission-denied'],
      );
      navigator.mediaDevices.getUserMedia = real;
      await media.setCameraEnabled(true);
      assert.isUndefined(media.state.problem);
    } finally {
      navigator.mediaDevices.getUserMedia = real;
      await media.dispose();
    }
  });

  it('turning the camera off in the lobby really stops capture, and on starts it again', async () => {
    const { media } = make();
    try {
      await media.startPreview();
      const track = media.state.cameraTrack?.mediaStreamTrack;
      await media.setCameraEnabled(false);
      assert.equal(track?.readyState, 'ended', 'the camera light goes off');
      assert.isUndefined(media.state.cameraTrack);
      assert.isFalse(media.state.cameraEnabled);
      await media.setCameraEnabled(true);
      const camera = (): MediaStreamTrack | undefined => media.state.cameraTrack?.mediaStreamTrack;
      assert.equal(camera()?.readyState, 'live');
      await media.setMicrophoneEnabled(false);
      assert.equal(media.state.audioLevel, 0);
    } finally {
      await media.dispose();
    }
  });

  it('an audio call starts with the camera off and never opens it', async () => {
    const { media } = make({ cameraEnabled: false });
    try {
      await media.startPreview();
      assert.isUndefined(media.state.cameraTrack);
      assert.isDefined(media.state.microphoneTrack);
    } finally {
      await media.dispose();
    }
  });

  it('falls back to an available device when the selected one disappears (hot-plug)', async () => {
    const { media } = make({ videoInputId: 'unplugged-camera' });
    try {
      await media.refreshDevices();
      const first = media.devices.videoinput[0]?.deviceId;
      assert.isString(first);
      assert.equal(media.videoInputId, first, 'the missing device was replaced');
      await media.select('audiooutput', 'gone-speaker');
      navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
      await until(() => media.audioOutputId === undefined, 'default output after unplug');
    } finally {
      await media.dispose();
    }
  });

  it('maps getUserMedia failures to typed, actionable errors', () => {
    /** The camera hint as a browser with this user agent gets it. */
    const hintFor = (ua: string) => {
      Object.defineProperty(navigator, 'userAgent', { value: ua, configurable: true });
      try {
        return mediaError('camera', err('NotAllowedError')).hint ?? '';
      } finally {
        delete (navigator as { userAgent?: string }).userAgent; // back to Navigator.prototype's
      }
    };
    const err = (name: string) => Object.assign(new Error(name), { name });
    assert.equal(mediaError('camera', err('NotAllowedError')).reason, 'media-permission-denied');
    assert.equal(mediaError('microphone', err('NotFoundError')).reason, 'media-device-not-found');
    assert.equal(
      mediaError('camera', err('OverconstrainedError')).reason,
      'media-device-not-found',
    );
    assert.equal(mediaError('camera', err('NotReadableError')).reason, 'media-device-failed');
    assert.equal(mediaError('screen', err('AbortError')).reason, 'aborted');
    assert.equal(mediaError('screen', err('NotAllowedError')).reason, 'media-permission-denied');
    // Where the permission is kept differs per browser (WebKitGTK has site settings).
    assert.include(
      mediaError('camera', err('NotAllowedError')).hint,
      navigator.userAgent.includes('Firefox/') ? 'remove the block on the camera' : 'site settings',
    );
    const safari =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';
    const webkitGtk =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15';
    assert.include(hintFor(safari), 'Safari › Settings');
    assert.include(hintFor(webkitGtk), 'site settings', 'GNOME Web is not Safari');
  });
});
