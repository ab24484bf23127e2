// Widget mode end to end: <matrix-call>'s widget page (cdn/widget.html) hosted by our test widget
// host over a real, started MatrixClient with Rust crypto, as Element Web hosts Element Call. The
// host keeps the login and the crypto; the widget reaches Matrix only through the widget API.
// Every call check is on decoded media, inside the widget's iframe and on the other side.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { E2ERun, Participant, allSeeAll, waitFor } from './harness.js';
import { ELEMENT_CALL_FRAME_TAG, ElementCallParticipant } from './element-call-participant.js';
import { WIDGET_HOST_TAG, WidgetParticipant } from './widget-participant.js';
import { serveWidgetHost, type WidgetHostServer } from '../widget-host/serve.js';

void describe(
  'widget mode: <matrix-call> as the call app of a widget host',
  { timeout: 900_000 },
  () => {
    let run: E2ERun;
    let server: WidgetHostServer;
    let widget: WidgetParticipant;
    let standalone: Participant;
    let ec: ElementCallParticipant;
    const started = Date.now();

    before(async () => {
      [run, server] = await Promise.all([E2ERun.start(), serveWidgetHost()]);
      [widget, standalone, ec] = await Promise.all([
        WidgetParticipant.launchWidget(run, server, 'w-blue', 'blue'),
        Participant.launch(run, 'mc-green', 'green'),
        ElementCallParticipant.launch(run, server, 'ec-red', 'red'),
      ]);
    });

    after(async () => {
      await ec.close();
      await run.close();
      await server.close();
      console.log(`widget suite: ${Math.round((Date.now() - started) / 1000)} s`);
    });

    afterEach(() => {
      run.assertNoNewPageErrors();
    });

    /** New users in a new room (encrypted unless told). */
    async function peopleInRoom(names: string[], encrypted = true) {
      const users = await Promise.all(names.map((n) => run.user(n)));
      const [first, ...rest] = users;
      if (!first) throw new Error('nobody');
      const room = await run.room(first, rest, { encrypted });
      return { users, room };
    }

    void it('1. a widget <matrix-call> and a standalone one in one encrypted call, both ways', async () => {
      const {
        users: [wendy, sam],
        room,
      } = await peopleInRoom(['Wendy', 'Sam']);
      if (!wendy || !sam) throw new Error('no users');
      // Element Web's look: no header (it shows the room), its font and scale; and no screen share.
      await widget.openWidget(wendy, room, {
        extra: { hideScreensharing: 'true', fontScale: '1.25', font: 'Test Serif' },
      });
      await standalone.open(sam, room);
      await widget.join();
      await standalone.join();
      await allSeeAll([widget, standalone]);
      // No helper functions inside: the page gets the callback's source as it is.
      const look = await widget.evaluate(() => {
        const el = document.querySelector('matrix-call');
        const controls = el?.shadowRoot?.querySelector('call-controls')?.shadowRoot;
        const [header, screenShare, leave] = [
          el?.shadowRoot?.querySelector('call-header')?.shadowRoot?.querySelector('[part~="base"]'),
          controls?.querySelector('[part~="screen-share-button"]'),
          controls?.querySelector('[part~="leave-button"]'),
        ].map((e) => (e ? getComputedStyle(e).display : 'absent'));
        return {
          header,
          screenShare,
          leave,
          zoom: el ? getComputedStyle(el).getPropertyValue('zoom') : '',
          font: el ? getComputedStyle(el).getPropertyValue('--matrix-call-font') : '',
        };
      });
      assert.equal(look.header, 'none', 'header=none hides our header');
      assert.equal(look.screenShare, 'none', 'hideScreensharing hides the button');
      assert.notEqual(look.leave, 'none', 'the other controls stay');
      assert.equal(look.zoom, '1.25', 'fontScale scales the call');
      assert.match(look.font, /Test Serif/, 'font sets the font');
      // The widget told its host, as Element Call does: joined, and keep me on screen.
      const joined = await widget.actionsFromWidget();
      assert.ok(
        joined.some((a) => a.action === 'io.element.join'),
        'io.element.join sent',
      );
      assert.ok(
        joined.some(
          (a) =>
            a.action === 'set_always_on_screen' && (a.data as { value?: unknown }).value === true,
        ),
        `always on screen while in the call: ${JSON.stringify(joined)}`,
      );
      // Leaving through our own button: the host hears hang-up, then close.
      await standalone.watch(widget.user?.userId ?? '', 'gone');
      await widget.leave();
      await standalone.seenAt(widget.user?.userId ?? '', 'gone', 15_000);
      await waitFor('the widget to ask its host to close it', async () => {
        const actions = (await widget.actionsFromWidget()).map((a) => a.action);
        return actions.includes('im.vector.hangup') && actions.includes('io.element.close');
      });
      await Promise.all([widget.closePage(), standalone.closePage()]);
    });

    void it('2. a widget <matrix-call> and an Element Call widget, both ways', async () => {
      const {
        users: [eve, wes],
        room,
      } = await peopleInRoom(['Eve', 'Wes']);
      if (!eve || !wes) throw new Error('no users');
      await ec.open(eve, room);
      // A host with call controls of its own (Cinny's wish): ours are hidden.
      await widget.openWidget(wes, room, { extra: { showControls: 'false' } });
      await ec.join();
      await widget.join();
      await Promise.all([widget.seesVideoOf(ec), ec.seesVideoOf(widget)]);
      const controls = await widget.evaluate(() => {
        const el = document
          .querySelector('matrix-call')
          ?.shadowRoot?.querySelector('call-controls');
        return el ? getComputedStyle(el).display : 'absent';
      });
      assert.equal(controls, 'none', 'showControls=false hides our controls');
      await Promise.all([widget.closePage(), ec.closePage()]);
    });

    void it('3. preload, then the host joins it; device mute both ways; the host hangs up', async () => {
      const {
        users: [wilmaUser, sam],
        room,
      } = await peopleInRoom(['Wilma', 'Sid']);
      if (!wilmaUser || !sam) throw new Error('no users');
      await standalone.open(sam, room);
      await standalone.join();
      await widget.openWidget(wilmaUser, room, {
        extra: { preload: 'true', skipLobby: 'true', lang: 'de' },
      });
      // Preloaded: it waits in the lobby until the host says join; in the host's language.
      assert.equal(await widget.view(), 'lobby');
      await waitFor('the lobby in German', () =>
        widget.evaluate(() =>
          /Anruf beitreten/.test(
            document
              .querySelector('matrix-call')
              ?.shadowRoot?.querySelector('call-lobby')
              ?.shadowRoot?.querySelector('[part~="join-button"]')?.textContent ?? '',
          ),
        ),
      );
      assert.deepEqual(await widget.sendAction('io.element.join'), {});
      await widget.waitForView('in-call', 45_000);
      await allSeeAll([widget, standalone]);
      // The host's theme follows into the call.
      assert.deepEqual(await widget.sendAction('theme_change', { name: 'dark' }), {});
      await waitFor('the widget to turn dark', () =>
        widget.evaluate(
          () => document.querySelector('matrix-call')?.getAttribute('theme') === 'dark',
        ),
      );
      // The host mutes our microphone (Element Web's own call controls), and hears the result.
      const wilma = widget.user?.userId ?? '';
      await standalone.watch(wilma, 'muted');
      const reply = await widget.sendAction('io.element.device_mute', { audio_enabled: false });
      assert.deepEqual(reply, { audio_enabled: false, video_enabled: true });
      await standalone.seenAt(wilma, 'muted', 10_000);
      // We unmute ourselves: the host hears that too.
      const before = Date.now();
      await widget.control('microphone-button');
      await waitFor('the host to hear our unmute', async () =>
        (await widget.actionsFromWidget()).some(
          (a) =>
            a.at >= before &&
            a.action === 'io.element.device_mute' &&
            (a.data as { audio_enabled?: unknown }).audio_enabled === true,
        ),
      );
      await standalone.seesVideoOf(widget);
      // The host hangs up: we leave the call and ask to be closed.
      await standalone.watch(wilma, 'gone');
      assert.deepEqual(await widget.sendAction('im.vector.hangup'), {});
      await standalone.seenAt(wilma, 'gone', 15_000);
      await waitFor('the widget to ask its host to close it', async () =>
        (await widget.actionsFromWidget()).some((a) => a.action === 'io.element.close'),
      );
      await Promise.all([widget.closePage(), standalone.closePage()]);
    });

    void it('4. a host that refuses delayed events or to-device keys, or a wrong link: a clear error', async () => {
      const {
        users: [wyatt, wade],
        room,
      } = await peopleInRoom(['Wyatt', 'Wade']);
      if (!wyatt || !wade) throw new Error('no users');
      for (const [deny, says] of [
        [['org\\.matrix\\.msc4157'], /delayed events/],
        [['org\\.matrix\\.msc3819'], /media keys/],
      ] as const) {
        await widget.openWidget(wyatt, room, { deny: [...deny], until: 'failed' });
        const error = await widget.evaluate(() => window.__e2e.error());
        assert.match(error, /^widget-capability-denied: /, error);
        assert.match(error, says, error);
      }
      // A link the host got wrong: a page that says what is wrong, never an empty frame.
      await widget.openWidget(wade, room, { extra: { intent: 'start_meeting' }, until: 'none' });
      const alert = widget.doc.locator('[role="alert"]');
      await alert.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match((await alert.textContent()) ?? '', /"intent" is not one of/);
      await widget.closePage();
    });

    void it('5. secrets: no host token reaches the widget, its diagnostics hold no OpenID token', () => {
      const secrets = [...run.secrets];
      assert.ok(secrets.length >= 5, `collected ${secrets.length} secrets`);
      assert.ok(widget.hostTokens.length >= 4, `${widget.hostTokens.length} host logins`);
      assert.ok(widget.frameRequests.length > 0, 'the widget made requests');
      const homeserver = new URL(run.stack.homeserverUrl).origin;
      for (const { url, headers } of widget.frameRequests) {
        // The widget reaches the homeserver only without a token (well-known, media); the
        // host's token appears nowhere in what it sends. (Values are never printed.)
        if (new URL(url).origin === homeserver)
          assert.ok(!('authorization' in headers), `${new URL(url).pathname} has no Authorization`);
        const sent = url + JSON.stringify(headers);
        assert.ok(
          !widget.hostTokens.some((token) => sent.includes(token)),
          `${new URL(url).pathname} carries no host token`,
        );
      }
      const leaks: string[] = [];
      const scan = (where: string, text: string) => {
        secrets.forEach((secret, i) => {
          if (text.includes(secret)) leaks.push(`${where} contains secret #${i}`);
        });
      };
      run.diagnosticsLogs.forEach((log, i) => {
        scan(`diagnostics export ${i}`, log);
      });
      const ours = run.consoleLines.filter(
        (l) => l.startsWith('[w-blue]') && !l.includes(WIDGET_HOST_TAG),
      );
      assert.ok(ours.length > 0, 'the widget logged (the scan covers it)');
      run.consoleLines.forEach((line, i) => {
        // Element Call's iframe and the host page log their own way; everything of ours is scanned.
        if (!line.includes(ELEMENT_CALL_FRAME_TAG) && !line.includes(WIDGET_HOST_TAG))
          scan(`console line ${i}`, line);
      });
      assert.deepEqual(leaks, []);
    });
  },
);
