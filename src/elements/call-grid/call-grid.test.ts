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

  describe('a call of many pages', () => {
    const ids = (el: CallGridElement) => tiles(el).map((t) => t.participant?.id);
    const person = (session: FakeCallSession, index: number) => {
      const p = session.snapshot.participants[index];
      if (!p) throw new Error(`no participant ${index}`);
      return p;
    };
    /** A 13-person call (you and 12) on two pages of 9, its order ready. */
    async function large() {
      const session = FakeCallSession.inCall(12);
      const el = await grid(session);
      await until(() => session.visibleParticipants !== undefined, 'the order loaded');
      await el.updateComplete;
      return { session, el, all: session.snapshot.participants.map((p) => p.id) };
    }

    it('reports exactly the tiles of the page shown, and nothing for a small call', async () => {
      const small = FakeCallSession.inCall(8);
      const el9 = await grid(small);
      assert.equal(el9.pageCount, 1);
      const { session, el, all } = await large();
      assert.deepEqual(session.visibleParticipants, all.slice(0, 9));
      assert.deepEqual(ids(el), all.slice(0, 9));
      el.nextPage();
      await until(() => session.visibleParticipants?.length === 4, 'page 2 reported');
      assert.deepEqual(session.visibleParticipants, all.slice(9));
      assert.deepEqual(ids(el), all.slice(9));
      assert.lengthOf(small.visibleReports, 0, 'one page: the core keeps its default');
      el.remove();
      assert.isUndefined(session.visibleParticipants, 'the grid gone: everyone again');
    });

    it('keeps the tiles you look at in place when people join and leave', async () => {
      const { session, el, all } = await large();
      const leaver = person(session, 3);
      session.set({ participants: session.snapshot.participants.filter((p) => p !== leaver) });
      await el.updateComplete;
      const last = all[12];
      const page1 = [...all.slice(0, 3), last, ...all.slice(4, 9)];
      assert.deepEqual(ids(el), page1, "the last tile fills the leaver's slot, nothing else moves");
      const newcomer = fakeParticipant(20);
      session.set({ participants: [...session.snapshot.participants, newcomer] });
      await el.updateComplete;
      assert.deepEqual(ids(el), page1, 'a newcomer does not move page 1');
      el.nextPage();
      await el.updateComplete;
      assert.deepEqual(ids(el), [...all.slice(9, 12), newcomer.id], 'the newcomer goes last');
      // Leaving also keeps page 2 in place, bar the last tile.
      session.set({
        participants: session.snapshot.participants.filter((p) => p.id !== all[10]),
      });
      await el.updateComplete;
      assert.deepEqual(ids(el), [all[9], newcomer.id, all[11]]);
    });

    it('brings someone speaking on a later page to the first, after a second', async () => {
      const { session, el, all } = await large();
      const speaker = person(session, 11);
      const started = Date.now();
      session.updateParticipant(speaker.id, { speaking: true });
      await el.updateComplete;
      assert.deepEqual(ids(el), all.slice(0, 9), 'not at once');
      await until(() => ids(el).includes(speaker.id), 'the speaker on page 1', 5000);
      assert.isAtLeast(Date.now() - started, 900, 'after a second of speaking');
      const page1 = [...all.slice(0, 8), speaker.id];
      assert.deepEqual(ids(el), page1, 'it took the last slot of those who never spoke');
      el.nextPage();
      await el.updateComplete;
      assert.deepEqual(ids(el), [all[9], all[10], all[8], all[12]], 'and swapped places');
      el.previousPage();
      await el.updateComplete;
      // Next, the one who spoke least recently makes room: never the one who just spoke.
      session.updateParticipant(speaker.id, { speaking: false });
      const next = person(session, 12);
      session.updateParticipant(next.id, { speaking: true });
      await until(() => ids(el).includes(next.id), 'the second speaker on page 1', 5000);
      assert.deepEqual(ids(el), [...all.slice(0, 7), next.id, speaker.id]);
      assert.deepEqual(session.visibleParticipants, ids(el) as string[]);
    });

    it('does not move a tile for a brief noise, nor you', async () => {
      const { session, el, all } = await large();
      const noisy = person(session, 10);
      session.updateParticipant(noisy.id, { speaking: true });
      await new Promise((r) => setTimeout(r, 200));
      session.updateParticipant(noisy.id, { speaking: false });
      // Someone speaking for real afterwards moves; the noise never does.
      const speaker = person(session, 12);
      session.updateParticipant(speaker.id, { speaking: true });
      await until(() => ids(el).includes(speaker.id), 'the speaker on page 1', 5000);
      assert.notInclude(ids(el), noisy.id);
      assert.equal(ids(el)[0], all[0], 'your own tile stays first');
    });

    it('in the spotlight, reports only the filmstrip tiles in sight, and follows its scrolling', async () => {
      const sharer = fakeParticipant(1, {
        screenShareEnabled: true,
        screenShareTrack: fakeVideoTrack({ source: 'screen-share', width: 1280, height: 720 }),
      });
      const others = Array.from({ length: 19 }, (_, i) => fakeParticipant(i + 2));
      const session = FakeCallSession.inCall([sharer, ...others]);
      const el = await grid(session);
      assert.equal(el.layout, 'spotlight');
      const strip = $(el, '[part="filmstrip"]');
      const cameras = () =>
        [...strip.querySelectorAll('call-tile')].filter((t) => t.source === 'camera');
      const inSight = () => {
        const box = rect(strip);
        return cameras()
          .filter((t) => {
            const r = rect(t);
            return (
              r.bottom > box.top && r.top < box.bottom && r.right > box.left && r.left < box.right
            );
          })
          .map((t) => t.participant?.id)
          .sort();
      };
      await until(
        () => JSON.stringify(session.visibleParticipants) === JSON.stringify(inSight()),
        'the tiles in sight reported',
      );
      assert.isBelow(inSight().length, 20, 'the filmstrip does not show all 20');
      assert.isAbove(inSight().length, 0);
      const last = cameras().at(-1)?.participant?.id ?? '';
      assert.notInclude(session.visibleParticipants ?? [], last);
      strip.scrollTo({ top: strip.scrollHeight, left: strip.scrollWidth });
      await until(() => session.visibleParticipants?.includes(last) === true, 'scrolled in sight');
      assert.deepEqual(session.visibleParticipants, inSight() as string[]);
    });

    it('pages with PageUp and PageDown, shows the count, and keeps focus on a page button', async () => {
      const { el } = await large();
      const nav = $(el, '[part="pagination"]');
      assert.include(deepText(nav), 'Page 1 of 2');
      assert.include(deepText(nav), '13 participants');
      const next = $<HTMLButtonElement>(el, '[aria-label="Next page"]');
      const previous = $<HTMLButtonElement>(el, '[aria-label="Previous page"]');
      assert.equal(next.getAttribute('aria-keyshortcuts'), 'PageDown');
      next.focus();
      await sendKeys({ press: 'PageDown' });
      await el.updateComplete;
      assert.include(deepText(nav), 'Page 2 of 2');
      assert.isTrue(next.disabled);
      await until(() => el.shadowRoot?.activeElement === previous, 'focus on "previous"');
      await sendKeys({ press: 'PageUp' });
      await el.updateComplete;
      assert.include(deepText(nav), 'Page 1 of 2');
      await until(() => el.shadowRoot?.activeElement === next, 'focus on "next"');
      // From a tile that leaves with its page, focus goes to a page button too.
      const pin = $<HTMLButtonElement>(tiles(el)[2] as Element, '[part="pin-button"]');
      pin.focus();
      await sendKeys({ press: 'PageDown' });
      await el.updateComplete;
      assert.include(deepText(nav), 'Page 2 of 2');
      await until(() => el.shadowRoot?.activeElement === previous, 'focus kept in the grid');
    });
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
