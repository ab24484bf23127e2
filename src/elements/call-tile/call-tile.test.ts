import { assert, expect, fixture, html, oneEvent } from '@open-wc/testing';
import type { CallTileElement } from './call-tile.js';
import type { CallParticipant } from '../../core/types.js';
import type { CallPinEvent } from '../../events/call-pin.js';
import type { CallTileResizeEvent } from '../../events/call-tile-resize.js';
import {
  fakeParticipant,
  fakeVideoTrack,
  stopFakeMedia,
  visibleViews,
  type FakeTrack,
} from '../../../test/browser/fake-call-session.js';
import { $, $$, assertAccessibleAtEveryWidth, until } from '../../../test/browser/helpers.js';

async function tile(participant: CallParticipant, extra = html``) {
  const el = await fixture<CallTileElement>(
    html`<div style="width:320px;height:180px">
      <call-tile style="width:100%;height:100%" .participant=${participant}></call-tile>${extra}
    </div>`,
  );
  const t = el.querySelector('call-tile');
  if (!t) throw new Error('no tile');
  await t.updateComplete;
  return t;
}

const states = (el: CallTileElement, names: string[]) =>
  names.filter((n) => el.matches(`:state(${n})`));

describe('<call-tile>', () => {
  afterEach(stopFakeMedia);

  it('plays the camera track in a muted inline video and names the participant', async () => {
    const p = fakeParticipant(1);
    const el = await tile(p);
    const video = $<HTMLVideoElement>(el, 'video');
    assert.isTrue(video.muted);
    assert.isTrue(video.autoplay);
    // The attribute: Firefox has no `playsInline` property (nor needs one).
    assert.isTrue(video.hasAttribute('playsinline'));
    assert.strictEqual(
      (video.srcObject as MediaStream).getVideoTracks()[0],
      p.cameraTrack?.mediaStreamTrack,
    );
    await until(() => video.videoWidth > 0, 'video frames');
    await until(() => !el.matches(':state(camera-off)'), 'video shown');
    assert.equal($(el, '[part="name"]').textContent.trim(), 'Alice');
    assert.equal($(el, '[part="base"]').getAttribute('aria-label'), 'Alice');
    assert.closeTo(el.aspectRatio, 16 / 9, 0.01);
  });

  it('shows initials instead of video when the camera is off, on the next update', async () => {
    const p = fakeParticipant(2);
    const el = await tile(p);
    el.participant = { ...p, cameraEnabled: false };
    await el.updateComplete;
    assert.lengthOf($$(el, 'video'), 0);
    assert.equal($(el, '[part="avatar"]').textContent.trim(), 'B');
    assert.isTrue(el.matches(':state(camera-off)'));
  });

  it('shows the mic-off badge and the muted state', async () => {
    const el = await tile(fakeParticipant(1, { microphoneEnabled: false }));
    assert.equal($(el, '[part="muted-badge"]').getAttribute('aria-label'), 'Microphone off');
    assert.deepEqual(states(el, ['muted', 'speaking']), ['muted']);
  });

  it('glows softly while speaking', async () => {
    const el = await tile(fakeParticipant(1, { speaking: true }));
    assert.isTrue(el.matches(':state(speaking)'));
    const shadow = getComputedStyle($(el, '[part="base"]')).boxShadow;
    assert.include(shadow, 'px', 'a box-shadow glow');
    assert.equal(getComputedStyle($(el, '[part="base"]')).borderTopStyle, 'none');
  });

  it('labels the connection quality', async () => {
    const el = await tile(fakeParticipant(1, { connectionQuality: 'poor' }));
    assert.equal($(el, '[part="quality"]').getAttribute('aria-label'), 'Poor connection');
    assert.lengthOf($$(el, '[part="quality"] rect.on'), 1);
    assert.isTrue(el.matches(':state(poor-connection)'));
  });

  it('shows the encryption badge for waiting and undecryptable media', async () => {
    const el = await tile(fakeParticipant(1, { encryption: 'waiting-for-key' }));
    assert.equal($(el, '[part="e2ee-badge"]').textContent.trim(), 'Waiting for encryption key');
    assert.isTrue(el.matches(':state(waiting-for-key)'));
    assert.exists($(el, '[part="avatar"]'), 'no undecryptable video is shown');
    el.participant = { ...fakeParticipant(1), encryption: 'key-invalid' };
    await el.updateComplete;
    assert.equal($(el, '[part="e2ee-badge"]').textContent.trim(), 'Cannot decrypt');
    assert.isTrue(el.matches(':state(key-invalid)'));
    el.participant = { ...fakeParticipant(1), encryption: 'unsupported' };
    await el.updateComplete;
    assert.equal($(el, '[part="e2ee-badge"]').textContent.trim(), "Their app can't encrypt");
    assert.isTrue(el.matches(':state(cannot-encrypt)'));
    assert.isFalse(el.matches(':state(key-invalid)'));
    assert.exists($(el, '[part="avatar"]'), 'none of their media is shown');
  });

  it('mirrors the local camera but not a screen share', async () => {
    const local = fakeParticipant(0, { isLocal: true, displayName: 'Morgan' });
    const el = await tile(local);
    assert.isTrue($(el, 'video').classList.contains('mirror'));
    assert.equal($(el, '[part="name"]').textContent.trim(), 'Morgan (you)');
    const screen = fakeVideoTrack({ source: 'screen-share', width: 640, height: 400 });
    el.participant = { ...local, screenShareEnabled: true, screenShareTrack: screen };
    el.source = 'screen-share';
    await el.updateComplete;
    assert.isFalse($(el, 'video').classList.contains('mirror'));
    assert.isTrue(el.matches(':state(screen-share)'));
  });

  it('fires call-pin from the pin button', async () => {
    const p = fakeParticipant(3);
    const el = await tile(p);
    el.pinnable = true;
    await el.updateComplete;
    const button = $<HTMLButtonElement>(el, '[part="pin-button"]');
    assert.equal(button.getAttribute('aria-pressed'), 'false');
    setTimeout(() => {
      button.click();
    });
    const event = await oneEvent<CallPinEvent>(el, 'call-pin');
    assert.equal(event.tileKey, p.id);
    assert.isTrue(event.pinned);
    assert.isTrue(event.bubbles && event.composed);
  });

  it('fires call-tile-resize with the live aspect ratio', async () => {
    const p = fakeParticipant(1);
    const el = await tile(p);
    await until(() => el.aspectRatio > 0, 'first ratio');
    const portrait = fakeVideoTrack({ width: 180, height: 320 });
    setTimeout(() => (el.participant = { ...p, cameraTrack: portrait }));
    const event = await oneEvent<CallTileResizeEvent>(el, 'call-tile-resize');
    assert.closeTo(event.aspectRatio, 180 / 320, 0.01);
  });

  it('registers one visible view with its size, and releases it', async () => {
    const p = fakeParticipant(1);
    const el = await tile(p);
    const track = p.cameraTrack as FakeTrack;
    await until(() => (track.views[0]?.viewport.width ?? 0) > 0, 'size reported');
    assert.lengthOf(track.views, 1);
    assert.lengthOf(visibleViews(track), 1);
    assert.equal(track.views[0]?.viewport.width, 320);
    assert.equal(track.views[0]?.viewport.height, 180);
    el.participant = { ...p, cameraEnabled: false };
    await el.updateComplete;
    assert.isTrue(track.views[0]?.released, 'released when the camera turns off');
  });

  it('reports a tile scrolled out of sight as not visible', async () => {
    const p = fakeParticipant(1);
    const box = await fixture<HTMLDivElement>(
      html`<div style="height:100px;overflow:auto">
        <div style="height:1000px"></div>
        <call-tile style="display:block;width:160px;height:90px" .participant=${p}></call-tile>
      </div>`,
    );
    const track = p.cameraTrack as FakeTrack;
    await until(() => track.views.length === 1 && track.views[0]?.updates !== 0, 'observed');
    assert.isFalse(track.views[0]?.viewport.visible);
    box.scrollTop = 1000;
    await until(() => track.views[0]?.viewport.visible === true, 'visible after scrolling');
  });

  it('moved in the grid and updated, keeps showing its video and its view', async () => {
    const p = fakeParticipant(1);
    const el = await tile(p);
    await until(() => !el.matches(':state(camera-off)'), 'video shown');
    const parent = el.parentElement;
    if (!parent) throw new Error('no parent');
    parent.append(el); // what a keyed repeat does when the order changes
    el.participant = { ...p, speaking: true };
    await el.updateComplete;
    assert.isFalse(el.matches(':state(camera-off)'), 'the same <video> keeps playing');
    assert.lengthOf($$(el, '[part="avatar"]'), 0);
    assert.lengthOf(visibleViews(p.cameraTrack as FakeTrack), 1, 'the view is registered again');
  });

  it('releases its view when removed', async () => {
    const p = fakeParticipant(1);
    const el = await tile(p);
    el.remove();
    assert.isTrue((p.cameraTrack as FakeTrack).views[0]?.released);
  });

  it('shows a raised hand and the reaction on the camera tile, not on the screen share', async () => {
    const p = fakeParticipant(1, {
      handRaisedAt: Date.now(),
      reaction: { emoji: '🎉', name: 'party' },
      screenShareEnabled: true,
      screenShareTrack: fakeVideoTrack({ source: 'screen-share' }),
    });
    const el = await tile(p);
    assert.equal($(el, '[part="hand-badge"]').getAttribute('aria-label'), 'Hand raised');
    assert.equal($(el, '[part="reaction"]').textContent.trim(), '🎉');
    assert.deepEqual(states(el, ['hand-raised']), ['hand-raised']);
    el.source = 'screen-share';
    await el.updateComplete;
    assert.lengthOf($$(el, '[part="hand-badge"], [part="reaction"]'), 0);
    assert.deepEqual(states(el, ['hand-raised']), []);
    el.source = 'camera';
    el.participant = { ...p, handRaisedAt: undefined, reaction: undefined };
    await el.updateComplete;
    assert.lengthOf($$(el, '[part="hand-badge"], [part="reaction"]'), 0, 'lowered, reaction over');
  });

  it('is accessible', async () => {
    const el = await tile(fakeParticipant(1, { microphoneEnabled: false }));
    el.pinnable = true;
    await el.updateComplete;
    await expect(el).to.be.accessible();
  });

  describe('accessibility at every width', () => {
    const states: Record<string, () => CallParticipant> = {
      video: () => fakeParticipant(1),
      'camera off': () => fakeParticipant(1, { video: false }),
      'microphone off': () => fakeParticipant(1, { microphoneEnabled: false }),
      speaking: () => fakeParticipant(1, { speaking: true, audioLevel: 0.8 }),
      'waiting for a key': () => fakeParticipant(1, { encryption: 'waiting-for-key' }),
      'cannot decrypt': () => fakeParticipant(1, { encryption: 'key-invalid', video: false }),
      'not encrypted': () => fakeParticipant(1, { encryption: 'none' }),
      "their app can't encrypt": () => fakeParticipant(1, { encryption: 'unsupported' }),
      'poor connection': () => fakeParticipant(1, { connectionQuality: 'poor' }),
      ourselves: () => fakeParticipant(0, { isLocal: true }),
      'hand raised, reacting': () =>
        fakeParticipant(1, { handRaisedAt: 1, reaction: { emoji: '👍', name: 'thumbsup' } }),
    };
    for (const [label, make] of Object.entries(states)) {
      it(`is accessible: ${label}`, async () => {
        const el = await tile(make());
        el.pinnable = true;
        await el.updateComplete;
        await assertAccessibleAtEveryWidth(el, label);
      });
    }

    it('is accessible: a pinned screen share', async () => {
      const p = fakeParticipant(1, {
        screenShareEnabled: true,
        screenShareTrack: fakeVideoTrack({ source: 'screen-share', width: 1280, height: 720 }),
      });
      const el = await tile(p);
      el.source = 'screen-share';
      el.pinnable = true;
      el.pinned = true;
      await el.updateComplete;
      await assertAccessibleAtEveryWidth(el, 'pinned screen share');
    });
  });
});
