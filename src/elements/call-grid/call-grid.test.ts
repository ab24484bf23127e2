import { assert, expect, fixture, html } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import type { CallGridElement } from './call-grid.js';
import type { CallTileElement } from '../call-tile/call-tile.js';
import { fitTiles } from './fit.js';
import {
  FakeCallSession,
  fakeParticipant,
  fakeVideoTrack,
  stopFakeMedia,
  visibleViews,
} from '../../../test/browser/fake-call-session.js';
import {
  $,
  $$,
  assertAccessibleAtEveryWidth,
  deepText,
  until,
} from '../../../test/browser/helpers.js';

async function grid(session: FakeCallSession, width = 960, height = 540) {
  const box = await fixture<HTMLDivElement>(
    html`<div style="width:${width}px;height:${height}px;display:flex">
      <call-grid style="flex:1" .session=${session}></call-grid>
    </div>`,
  );
  const el = box.querySelector('call-grid');
  if (!el) throw new Error('no grid');
  await until(() => $$(el, 'call-tile').length > 0, 'tiles rendered');
  await el.updateComplete;
  return el;
}

const tiles = (el: CallGridElement) => $$<CallTileElement>(el, 'call-tile');
const rect = (e: Element) => e.getBoundingClientRect();
const overlaps = (a: DOMRect, b: DOMRect) =>
  a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;

describe('fitTiles', () => {
  it('fills a wide box with one row of two 16:9 tiles', () => {
    const boxes = fitTiles([16 / 9, 16 / 9], 1000, 300, 10);
    assert.lengthOf(boxes, 2);
    assert.closeTo(boxes[0]?.height ?? 0, 278.1, 0.5);
    assert.equal(boxes[0]?.y, boxes[1]?.y);
  });

  it('stacks tiles in a tall box and keeps each aspect ratio', () => {
    const boxes = fitTiles([16 / 9, 9 / 16], 360, 900, 8);
    assert.notEqual(boxes[0]?.y, boxes[1]?.y, 'two rows');
    for (const [i, r] of [16 / 9, 9 / 16].entries())
      assert.closeTo((boxes[i]?.width ?? 0) / (boxes[i]?.height ?? 1), r, 0.001);
    for (const b of boxes) assert.isAtMost(b.x + b.width, 360.01);
  });
});

describe('<call-grid>', () => {
  afterEach(stopFakeMedia);

  it('shows you alone with the waiting notice', async () => {
    const el = await grid(FakeCallSession.inCall(0));
    assert.equal(el.layout, 'empty');
    assert.isTrue(el.matches(':state(empty)'));
    assert.lengthOf(tiles(el), 1);
    assert.include(deepText($(el, '[part="empty"]')), 'Waiting for others to join');
  });

  it('fills the view with the one remote and puts you in a movable corner', async () => {
    const el = await grid(FakeCallSession.inCall(1));
    assert.equal(el.layout, 'one-on-one');
    const pip = $(el, '[part="pip"]');
    const remote = tiles(el).find((t) => !t.participant?.isLocal);
    assert.isTrue(pip.querySelector('call-tile')?.participant?.isLocal);
    assert.isAbove(rect(remote as Element).width, 900, 'the remote fills the view');
    assert.isTrue(pip.classList.contains('b') && pip.classList.contains('r'));
    pip.focus();
    await sendKeys({ press: 'ArrowUp' });
    await sendKeys({ press: 'ArrowLeft' });
    await el.updateComplete;
    assert.isTrue(pip.classList.contains('t') && pip.classList.contains('l'));
    const box = rect(pip);
    const stage = rect(el);
    assert.isBelow(box.left - stage.left, 40);
    assert.isBelow(box.top - stage.top, 40);
  });

  it('snaps the self view to the corner it is dragged to', async () => {
    const el = await grid(FakeCallSession.inCall(1));
    const pip = $(el, '[part="pip"]');
    const start = rect(pip);
    const stage = rect(el);
    // The browser's own mouse: a made-up pointer ID cannot be captured in Firefox.
    const at = (x: number, y: number): [number, number] => [Math.round(x), Math.round(y)];
    await sendMouse({ type: 'move', position: at(start.left + 5, start.top + 5) });
    await sendMouse({ type: 'down' });
    await sendMouse({ type: 'move', position: at(stage.left + 10, stage.top + 10) });
    await el.updateComplete;
    await sendMouse({ type: 'up' });
    await el.updateComplete;
    assert.isTrue(pip.classList.contains('t') && pip.classList.contains('l'));
  });

  for (const remotes of [2, 3]) {
    it(`lays ${remotes + 1} people out in a grid without overlap`, async () => {
      const el = await grid(FakeCallSession.inCall(remotes));
      assert.equal(el.layout, 'grid');
      const boxes = tiles(el).map(rect);
      assert.lengthOf(boxes, remotes + 1);
      for (const [i, a] of boxes.entries())
        for (const b of boxes.slice(i + 1)) assert.isFalse(overlaps(a, b), 'tiles overlap');
      const view = rect(el);
      for (const b of boxes) assert.isAtMost(b.right, view.right + 1);
    });
  }

  it("fits each tile to its video's live aspect ratio", async () => {
    const portrait = fakeParticipant(2, {
      cameraTrack: fakeVideoTrack({ width: 180, height: 320 }),
    });
    const session = FakeCallSession.inCall([fakeParticipant(1), portrait]);
    const el = await grid(session);
    const tile = () => tiles(el).find((t) => t.participant?.id === portrait.id);
    await until(() => {
      const r = tile() && rect(tile() as Element);
      return !!r && Math.abs(r.width / r.height - 180 / 320) < 0.02;
    }, 'portrait tile');
    const landscape = tiles(el).find((t) => t.participant?.id !== portrait.id);
    const r = rect(landscape as Element);
    assert.closeTo(r.width / r.height, 16 / 9, 0.05);
  });

  it('pages a 12-person call, and only tiles on the page receive video', async () => {
    const session = FakeCallSession.inCall(12);
    const el = await grid(session);
    assert.equal(el.layout, 'grid');
    assert.equal(el.pageCount, 2);
    assert.lengthOf(tiles(el), 9);
    const remote = session.snapshot.participants.filter((p) => !p.isLocal);
    await until(
      () => remote.slice(0, 8).every((p) => visibleViews(p.cameraTrack).length === 1),
      'first page views',
    );
    for (const p of remote.slice(8)) assert.lengthOf(visibleViews(p.cameraTrack), 0);
    const nav = $(el, '[part="pagination"]');
    assert.include(nav.textContent, 'Page 1 of 2');
    $<HTMLButtonElement>(el, '[aria-label="Next page"]').click();
    await el.updateComplete;
    assert.lengthOf(tiles(el), 4);
    assert.include(nav.textContent, 'Page 2 of 2');
    for (const p of remote.slice(0, 8))
      assert.lengthOf(visibleViews(p.cameraTrack), 0, 'previous page released');
    await until(
      () => remote.slice(8).every((p) => visibleViews(p.cameraTrack).length === 1),
      'second page views',
    );
  });

  it('keeps a 50-person call to one page of video', async () => {
    const session = FakeCallSession.inCall(49);
    const el = await grid(session);
    await until(() => tiles(el).length === 9, 'one page');
    await new Promise((r) => setTimeout(r, 100));
    const visible = session.snapshot.participants.reduce(
      (n, p) => n + visibleViews(p.cameraTrack).length,
      0,
    );
    assert.isAtMost(visible, 9);
    assert.equal(el.pageCount, 6);
  });

  it('puts a screen share in the spotlight with everyone in the filmstrip', async () => {
    const sharer = fakeParticipant(2, {
      screenShareEnabled: true,
      screenShareTrack: fakeVideoTrack({ source: 'screen-share', width: 1280, height: 720 }),
    });
    const el = await grid(FakeCallSession.inCall([fakeParticipant(1), sharer]));
    assert.equal(el.layout, 'spotlight');
    const spot = $<CallTileElement>(el, '[part="spotlight"] call-tile');
    assert.equal(spot.source, 'screen-share');
    assert.equal(spot.participant?.id, sharer.id);
    assert.lengthOf($$(el, '[part="filmstrip"] call-tile'), 3);
    assert.isAbove(rect(spot).width, rect($(el, '[part="filmstrip"] call-tile')).width * 2);
  });

  it('pins a tile into the spotlight from its pin button, and unpins it', async () => {
    const session = FakeCallSession.inCall(3);
    const el = await grid(session);
    const target = tiles(el)[2];
    $<HTMLButtonElement>(target as Element, '[part="pin-button"]').click();
    await el.updateComplete;
    assert.equal(el.layout, 'spotlight');
    const spot = $<CallTileElement>(el, '[part="spotlight"] call-tile');
    assert.equal(spot.participant?.id, target?.participant?.id);
    assert.isTrue(spot.pinned);
    $<HTMLButtonElement>(spot, '[part="pin-button"]').click();
    await el.updateComplete;
    assert.equal(el.layout, 'grid');
  });

  it('stays usable at 360 px wide', async () => {
    const el = await grid(FakeCallSession.inCall(8), 360, 640);
    await until(() => tiles(el).length === 6, 'a smaller page on a narrow screen');
    await el.updateComplete;
    const boxes = tiles(el).map(rect);
    assert.lengthOf(boxes, 6, 'fewer tiles per page on a narrow screen');
    const view = rect(el);
    for (const b of boxes) {
      assert.isAtLeast(b.left, view.left - 1);
      assert.isAtMost(b.right, view.right + 1);
      assert.isAtLeast(b.width, 100, 'tiles stay big enough to see');
    }
  });

  it('is accessible in each layout', async () => {
    await expect(await grid(FakeCallSession.inCall(1))).to.be.accessible();
    await expect(await grid(FakeCallSession.inCall(12))).to.be.accessible();
  });

  describe('accessibility at every width', () => {
    const sharer = () =>
      fakeParticipant(1, {
        screenShareEnabled: true,
        screenShareTrack: fakeVideoTrack({ source: 'screen-share', width: 1280, height: 720 }),
      });
    const layouts: Record<string, () => FakeCallSession> = {
      'one-on-one': () => FakeCallSession.inCall(1),
      'grid of four': () => FakeCallSession.inCall(3),
      'two pages': () => FakeCallSession.inCall(12),
      'spotlight on a screen share': () => FakeCallSession.inCall([sharer(), fakeParticipant(2)]),
    };
    for (const [label, make] of Object.entries(layouts)) {
      it(`is accessible: ${label}`, async () => {
        const box = await fixture<HTMLDivElement>(
          html`<div style="width:100%;height:600px;display:flex">
            <call-grid style="flex:1" .session=${make()}></call-grid>
          </div>`,
        );
        const el = box.querySelector('call-grid');
        if (!el) throw new Error('no grid');
        await until(() => $$(el, 'call-tile').length > 0, 'tiles rendered');
        await assertAccessibleAtEveryWidth(el, label);
      });
    }

    it('is accessible: alone in the call', async () => {
      const box = await fixture<HTMLDivElement>(
        html`<div style="width:100%;height:600px;display:flex">
          <call-grid style="flex:1" .session=${FakeCallSession.inCall(0)}></call-grid>
        </div>`,
      );
      const el = box.querySelector('call-grid');
      if (!el) throw new Error('no grid');
      await el.updateComplete;
      await assertAccessibleAtEveryWidth(el, 'alone');
    });
  });
});
