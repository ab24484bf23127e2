/**
 * `npm run screenshots`: PNGs of <matrix-call> in real states on the local stack, in the light
 * and the dark theme, to .artifacts/screenshots/: the lobby (with a call in progress), a 1:1
 * call, a grid of four, a spotlight with a screen share, an incoming ring, and the error view.
 * Each person is their own Chromium with their own camera colour, as in the e2e suite.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant, waitFor } from '../test/e2e/harness.js';

const OUT = resolve('.artifacts/screenshots');
const VIEWPORT = { width: 1180, height: 720 };

async function shoot(p: Participant, name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await p.p.emulateMedia({ colorScheme: theme });
    await p.p.mouse.move(1, 1);
    await sleep(300); // let transitions and the next video frame settle
    const file = join(OUT, `${name}-${theme}.png`);
    await p.p.locator('matrix-call').screenshot({ path: file, timeout: 15_000 });
    console.log(`  ${file}`);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const run = await E2ERun.start();
  try {
    const people = await Promise.all(
      (
        [
          ['a', 'red'],
          ['b', 'blue'],
          ['c', 'green'],
          ['d', 'yellow'],
        ] as const
      ).map(([label, colour]) => Participant.launch(run, label, colour)),
    );
    const [a, b, c, d] = people as [Participant, Participant, Participant, Participant];
    const names = ['Alice Andersen', 'Bob Brown', 'Carol Chen', 'Dan Diaz'];
    const users = await Promise.all(names.map((n) => run.user(n)));
    const [ua, ...others] = users;
    if (!ua) throw new Error('no users');
    const room = await run.room(ua, others, { name: 'Design review' });
    const open = (p: Participant, i: number) => {
      const user = users[i];
      if (!user) throw new Error('no user');
      return p.open(user, room, { viewport: VIEWPORT });
    };

    // An incoming ring: Bob starts the call with notify=ring (as the element's `notify`
    // attribute does); Alice's lobby shows it.
    await Promise.all([open(a, 0), open(b, 1)]);
    await b.p.evaluate(() => {
      const el = document.querySelector('matrix-call');
      if (el) el.setAttribute('notify', 'ring');
    });
    await waitFor('Bob back in the lobby', async () => (await b.view()) === 'lobby', 30_000);
    await b.join();
    await waitFor(
      "the ring in Alice's lobby",
      () => a.p.locator('matrix-call [part~="ring"]').isVisible(),
      20_000,
    );
    await a.seesLobbyPreview();
    await shoot(a, 'ring');

    console.log('lobby (a call in progress)');
    await a.p.locator('matrix-call [part~="ring-dismiss-button"]').click();
    await waitFor('Join call (1 person)', async () =>
      (await a.p.evaluate(() => window.__e2e.joinLabel())).includes('1'),
    );
    await shoot(a, 'lobby');

    console.log('1:1');
    await a.join();
    await Promise.all([a.seesVideoOf(b), b.seesVideoOf(a)]);
    await a.seesSelf();
    await shoot(a, 'one-on-one');

    console.log('grid of 4');
    await Promise.all([open(c, 2), open(d, 3)]);
    await Promise.all([c.join(), d.join()]);
    // Four browsers on two cores: only Alice's view is photographed, the others just send.
    await Promise.all([b, c, d].map((p) => p.stopWatching()));
    await Promise.all([a.seesVideoOf(b), a.seesVideoOf(c), a.seesVideoOf(d)]);
    await a.seesSelf();
    await shoot(a, 'grid-4');

    console.log('spotlight with a screen share');
    // Screen capture needs a real click on a visible button: bring Bob's call back first.
    await b.p.evaluate(() => {
      document.querySelector<HTMLElement>('matrix-call')?.style.removeProperty('transform');
    });
    await b.control('screen-share-button');
    await waitFor(
      'the screen share in the spotlight',
      async () =>
        (await a.tiles()).some((t) => t.source === 'screen-share' && t.inSpotlight && t.videoShown),
      20_000,
    );
    await shoot(a, 'spotlight-screen-share');
    await b.control('screen-share-button');
    await Promise.all(people.map((p) => p.closePage()));

    console.log('error view (a room that does not exist)');
    await a.openRaw(users[0] ?? ua, `#no-such-room:${run.stack.serverName}`, VIEWPORT);
    await a.waitForView('failed', 30_000);
    await shoot(a, 'error');

    console.log('sign-in');
    await a.openRaw(undefined, '', VIEWPORT);
    await a.waitForView('sign-in', 30_000);
    await a.p.locator('matrix-call form').waitFor({ timeout: 10_000 });
    await shoot(a, 'sign-in');
  } finally {
    await run.close();
  }
  console.log(`Screenshots in ${OUT}`);
}

await main();
