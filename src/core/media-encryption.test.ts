// Key health without a call: keys, cryptor errors and decode statistics are fed in directly.
import { assert } from '@open-wc/testing';
import { CryptorError, CryptorErrorReason, ExternalE2EEKeyProvider } from 'livekit-client';
import { DiagnosticsLog } from './diagnostics.js';
import { MatrixKeyProvider } from './e2ee.js';
import { MediaEncryption, MediaEncryptionEvent } from './media-encryption.js';
import type { EncryptionMode, MediaStats } from './types.js';
import { waitFor } from '../../test/support/wait-for.js';

const ME = '@me:hs:ME';
const BOB = '@bob:hs:B';

function setup(mode: EncryptionMode = 'per-participant', keyframeRequestMinMs = 60_000) {
  const log = new DiagnosticsLog();
  const keyframeRequests: string[] = [];
  let videoTracks = 1;
  let frames = 0;
  let reads = 0;
  const stats = (): MediaStats[] => [
    {
      participantId: BOB,
      trackId: 'TR_bob',
      source: 'camera',
      kind: 'video',
      framesDecoded: frames,
      packetsReceived: frames,
      packetsLost: 0,
      bytesReceived: 0,
      frameWidth: 0,
      frameHeight: 0,
      totalSamplesReceived: 0,
      concealedSamples: 0,
    },
  ];
  const encryption = new MediaEncryption({
    mode,
    password: mode === 'shared-secret' ? 'correct horse battery' : undefined,
    ownIdentity: ME,
    e2eeWorkerUrl: undefined,
    log,
    readStats: () => {
      reads++;
      return Promise.resolve(stats());
    },
    requestKeyframe: (identity) => {
      keyframeRequests.push(identity);
      return videoTracks;
    },
    keyframeRequestMinMs,
  });
  let changes = 0;
  encryption.on(MediaEncryptionEvent.Changed, () => changes++);
  return {
    encryption,
    log,
    changes: () => changes,
    decode: (n: number) => (frames += n),
    reads: () => reads,
    keyframeRequests,
    setVideoTracks: (n: number) => (videoTracks = n),
  };
}

const key = () => crypto.getRandomValues(new Uint8Array(16));

describe('MediaEncryption', () => {
  it('makes the key provider the mode asks for', async () => {
    assert.instanceOf(await setup().encryption.createKeyProvider(), MatrixKeyProvider);
    const shared = setup('shared-secret');
    assert.instanceOf(await shared.encryption.createKeyProvider(), ExternalE2EEKeyProvider);
    const logged = shared.log.list('e2ee').find((e) => e.message.startsWith('shared-secret'));
    assert.match(String(logged?.fields?.['secretFingerprint']), /^[0-9a-f]{8}$/);
    assert.notInclude(JSON.stringify(shared.log.list()), 'correct horse');
    assert.isUndefined(await setup('none').encryption.createKeyProvider());
    assert.equal(setup('none').encryption.stateOf(BOB), 'none');
  });

  it('waits for a key per participant, and is ok once one is imported', async () => {
    const { encryption, log, changes } = setup();
    await encryption.createKeyProvider();
    assert.equal(encryption.stateOf(BOB), 'waiting-for-key');
    assert.equal(encryption.stateOf(ME), 'ok');
    await encryption.onKey(key(), 3, BOB);
    assert.equal(encryption.stateOf(BOB), 'ok');
    assert.equal(changes(), 1);
    const entry = log.list('keys').find((e) => e.message === 'media key received');
    assert.include(entry?.fields, { participant: BOB, keyIndex: 3 });
    assert.match(String(entry?.fields?.['keyFingerprint']), /^[0-9a-f]{8}$/);
  });

  it('reports a change only when a participant’s state changes, not for every rotated key', async () => {
    const { encryption, changes } = setup();
    await encryption.createKeyProvider();
    await encryption.onKey(key(), 0, BOB);
    assert.equal(changes(), 1, 'the first key: waiting-for-key → ok');
    await encryption.onKey(key(), 1, BOB);
    await encryption.onKey(key(), 2, BOB);
    await encryption.onKey(key(), 0, ME);
    assert.equal(changes(), 1, 'rotated keys of someone already ok change nothing shown');
    assert.equal(encryption.stateOf(BOB), 'ok');
    encryption.onCryptorError(
      new CryptorError('bad', CryptorErrorReason.InvalidKey, BOB),
      undefined,
    );
    assert.equal(changes(), 2);
    await encryption.onKey(key(), 3, BOB);
    assert.equal(changes(), 3, 'a key that ends trouble is news');
    assert.equal(encryption.stateOf(BOB), 'ok');
  });

  it('ignores keys with an index no sender uses (0–255 only)', async () => {
    const { encryption, log, changes } = setup();
    await encryption.createKeyProvider();
    for (const index of [-1, 256, 2 ** 53, 1.5, Number.NaN])
      await encryption.onKey(key(), index, BOB);
    assert.equal(encryption.stateOf(BOB), 'waiting-for-key');
    assert.equal(changes(), 0);
    assert.lengthOf(
      log.list('keys').filter((e) => e.message === 'ignoring a media key with an impossible index'),
      5,
    );
    await encryption.onKey(key(), 255, BOB);
    assert.equal(encryption.stateOf(BOB), 'ok');
  });

  it('ignores keys outside a per-participant call', async () => {
    const { encryption, changes } = setup('shared-secret');
    await encryption.createKeyProvider();
    await encryption.onKey(key(), 0, BOB);
    assert.equal(changes(), 0);
  });

  it('turns cryptor errors into key states, never for our own frames', async () => {
    const { encryption } = setup();
    await encryption.createKeyProvider();
    await encryption.onKey(key(), 0, BOB);
    encryption.onCryptorError(
      new CryptorError('bad', CryptorErrorReason.InvalidKey, BOB),
      undefined,
    );
    assert.equal(encryption.stateOf(BOB), 'key-invalid');
    // Errors from the worker arrive as plain Errors named by their message.
    encryption.onCryptorError(new Error(`MissingKey: no key for participant ${ME}`), undefined);
    assert.equal(encryption.stateOf(ME), 'ok');
    encryption.onCryptorError(new Error('InternalError: oops'), BOB);
    assert.equal(encryption.stateOf(BOB), 'key-invalid', 'internal errors change nothing');
    await encryption.onKey(key(), 1, BOB);
    assert.equal(encryption.stateOf(BOB), 'ok', 'a new key is worth another try');
  });

  it('asks for a keyframe when a key arrives for someone whose frames were failing', async () => {
    const { encryption, log, keyframeRequests } = setup();
    await encryption.createKeyProvider();
    encryption.onCryptorError(new Error(`MissingKey: for participant ${BOB}`), undefined);
    await encryption.onKey(key(), 0, BOB);
    assert.deepEqual(keyframeRequests, [], 'not for a first key: the receiver asks by itself');
    await encryption.onKey(key(), 1, BOB);
    assert.deepEqual(keyframeRequests, [], 'never for media that decrypts');
    encryption.onCryptorError(new Error(`MissingKey: for participant ${BOB}`), undefined);
    await encryption.onKey(key(), 2, BOB);
    assert.deepEqual(keyframeRequests, [BOB]);
    const asked = log.list('e2ee').filter((e) => e.message.startsWith('asking for a keyframe'));
    assert.lengthOf(asked, 1);
    assert.include(asked[0]?.fields, { participant: BOB, keyIndex: 2, tracks: 1 });
    encryption.onCryptorError(new CryptorError('bad', CryptorErrorReason.InvalidKey, BOB), BOB);
    await encryption.onKey(key(), 3, BOB);
    assert.deepEqual(keyframeRequests, [BOB], 'not again so soon');
    encryption.onCryptorError(new Error(`MissingKey: no key for participant ${ME}`), undefined);
    await encryption.onKey(key(), 0, ME);
    assert.deepEqual(keyframeRequests, [BOB], 'never for our own media');
  });

  it('asks again after the minimum interval, and only once video was there to ask for', async () => {
    const { encryption, log, keyframeRequests, setVideoTracks } = setup('per-participant', 50);
    await encryption.createKeyProvider();
    const failThenKey = async (index: number) => {
      encryption.onCryptorError(new Error(`MissingKey: for participant ${BOB}`), undefined);
      await encryption.onKey(key(), index, BOB);
    };
    await encryption.onKey(key(), 0, BOB);
    setVideoTracks(0); // audio only, or video not subscribed yet
    await failThenKey(0);
    setVideoTracks(1);
    await failThenKey(1);
    assert.lengthOf(keyframeRequests, 2, 'asking for no track does not count');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await failThenKey(2);
    assert.lengthOf(keyframeRequests, 3);
    const asked = log.list('e2ee').filter((e) => e.message.startsWith('asking for a keyframe'));
    assert.lengthOf(asked, 2, 'logged only when a track was asked for');
  });

  it('clears the trouble once frames decode again after it began', async function () {
    this.timeout(10_000);
    const { encryption, decode, reads } = setup('shared-secret');
    await encryption.createKeyProvider();
    encryption.onCryptorError(new Error(`MissingKey: for participant ${BOB}`), undefined);
    assert.equal(encryption.stateOf(BOB), 'waiting-for-key');
    encryption.watchDecoding();
    try {
      await waitFor('two polls', () => reads() >= 2, 5000, 20);
      assert.equal(encryption.stateOf(BOB), 'waiting-for-key', 'no new frames yet');
      decode(10);
      await waitFor('decoding again', () => encryption.stateOf(BOB) === 'ok', 5000, 20);
    } finally {
      encryption.stopWatching();
    }
  });

  it('forgets keys and troubles when the call ends', async () => {
    const { encryption } = setup();
    await encryption.createKeyProvider();
    await encryption.onKey(key(), 0, BOB);
    encryption.reset();
    assert.isUndefined(encryption.keyProvider);
    assert.equal(encryption.stateOf(BOB), 'waiting-for-key');
  });
});
