/**
 * Watches what Element Call 0.26.1 puts on the wire, through the test widget host, for
 * test/widget-host/FINDINGS.md: reactions and raised hands, call notifications both ways, and its
 * `matrix_2_0` mode against <matrix-call>. Not a test: it prints what it saw (secrets redacted)
 * and writes .artifacts/widget-host/observations.json.
 *
 *   npx tsx test/widget-host/observe.ts [A] [B] [C] [D]   (default all; uses the running stack)
 *
 * A: reactions, raised hand; B: a notification from <matrix-call>; C: `matrix_2_0` mode;
 * D: the host refuses delayed events, then encrypted to-device messages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant } from '../e2e/harness.js';
import { ElementCallParticipant, type HostRecord } from '../e2e/element-call-participant.js';
import { recordWire, type WireEntry } from '../e2e/wire-recorder.js';
import { OUT, serveWidgetHost } from './serve.js';
import type { ReceivedRecord } from './widget-host.js';

const isReceived = (r: HostRecord): r is ReceivedRecord =>
  'kind' in r && (r.kind === 'receive-event' || r.kind === 'receive-to-device');

const out: Record<string, unknown> = {};
const [run, server] = await Promise.all([E2ERun.start(), serveWidgetHost()]);
const ec = await ElementCallParticipant.launch(run, server, 'ec', 'red');
const mc = await Participant.launch(run, 'mc', 'blue');
const origins = [new URL(run.stack.homeserverUrl).origin, new URL(run.stack.authServiceUrl).origin];

const sent = (records: HostRecord[], since: number) =>
  records.filter(
    (r) =>
      r.at >= since &&
      'kind' in r &&
      ['send-event', 'send-sticky', 'send-delayed', 'send-state', 'update-delayed'].includes(
        r.kind,
      ),
  );

/** Tries `check` until it holds or `ms` pass; says which. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await sleep(250);
  }
  return false;
}

const sections = process.argv.slice(2);
const wanted = (s: string) => sections.length === 0 || sections.includes(s);

try {
  // ── A. Default mode: notification, reactions, raised hand. ──
  if (wanted('A')) {
    const erin = await run.user('Erin');
    const bob = await run.user('Bob');
    const room = await run.room(erin, [bob]);
    await Promise.all([ec.open(erin, room), mc.open(bob, room)]);
    const wire: WireEntry[] = [];
    recordWire(ec.p, 'ec', origins, wire);
    recordWire(mc.p, 'mc', origins, wire);
    const t0 = Date.now();
    await ec.join();
    await mc.join();
    await Promise.all([ec.seesVideoOf(mc), mc.seesVideoOf(ec)]);
    const frame = ec.p.frameLocator('iframe');
    const tReact = Date.now();
    await frame.getByRole('button', { name: 'Reactions' }).click({ timeout: 10_000 });
    await frame.getByRole('button', { name: 'Raise hand' }).click({ timeout: 10_000 });
    await sleep(1500);
    const handOnMc = await mc.p.evaluate(() => document.body.innerText.includes('✋'));
    await frame.getByRole('button', { name: 'Reactions' }).click({ timeout: 10_000 });
    await frame
      .getByRole('button', { name: /👍|thumbsup/ })
      .first()
      .click({ timeout: 10_000 });
    await sleep(1500);
    await frame.getByRole('button', { name: 'Reactions' }).click({ timeout: 10_000 });
    await frame.getByRole('button', { name: 'Lower hand' }).click({ timeout: 10_000 });
    await sleep(1500);
    const records = await ec.records();
    out['A.first-in-call notification and membership (Element Call)'] = sent(records, t0).filter(
      (r) => r.at < tReact,
    );
    out['A.reactions and raised hand (Element Call)'] = sent(records, tReact);
    out['A.<matrix-call> page shows a raised hand'] = handOnMc;
    out['A.wire'] = wire.filter((w) => /\/send\/|redact/.test(w.path));
    await Promise.all([ec.closePage(), mc.closePage()]);
  }

  // ── B. <matrix-call> first with notify=notification: what Element Call's host gets. ──
  if (wanted('B')) {
    const bea = await run.user('Bea');
    const ezra = await run.user('Ezra');
    const room = await run.room(bea, [ezra]);
    await Promise.all([mc.open(bea, room), ec.open(ezra, room)]);
    await mc.p.evaluate(() => {
      const el = document.querySelector('matrix-call') as HTMLElement & { notify: string };
      el.notify = 'notification';
    });
    const t0 = Date.now();
    await mc.join();
    const got = await within(10_000, async () =>
      (await ec.records()).some(
        (r) =>
          isReceived(r) &&
          r.kind === 'receive-event' &&
          r.type === 'org.matrix.msc4075.rtc.notification',
      ),
    );
    out['B.notification from <matrix-call> reached the host'] = got;
    out['B.received'] = (await ec.records()).filter(
      (r) => isReceived(r) && r.at >= t0 && r.type.includes('notification'),
    );
    await ec.screenshot('observe-B-lobby-after-notification');
    await ec.join();
    await Promise.all([ec.seesVideoOf(mc), mc.seesVideoOf(ec)]);
    await Promise.all([ec.closePage(), mc.closePage()]);
  }

  // ── C. matrix_2_0 mode against <matrix-call>. ──
  if (wanted('C')) {
    const versions = (await (
      await fetch(`${run.stack.homeserverUrl}/_matrix/client/versions`)
    ).json()) as { unstable_features?: Record<string, boolean> };
    out['C.homeserver unstable_features (msc4354, msc4140, msc4143)'] = Object.fromEntries(
      Object.entries(versions.unstable_features ?? {}).filter(([k]) =>
        /4354|4140|4143|4222/.test(k),
      ),
    );
    const eve = await run.user('Eve');
    const ben = await run.user('Ben');
    const room = await run.room(eve, [ben]);
    await ec.open(eve, room, { mode: 'matrix2' });
    await mc.open(ben, room);
    const wire: WireEntry[] = [];
    recordWire(ec.p, 'ec', origins, wire);
    recordWire(mc.p, 'mc', origins, wire);
    const t0 = Date.now();
    await ec.join();
    await sleep(3000);
    await mc.join();
    const ecSeesMc = await within(30_000, async () => {
      await ec.seesVideoOf(mc, 2000);
      return true;
    });
    const mcSeesEc = await within(30_000, async () => {
      await mc.seesVideoOf(ec, 2000);
      return true;
    });
    out['C.matrix_2_0: Element Call decodes <matrix-call>'] = ecSeesMc;
    out['C.matrix_2_0: <matrix-call> decodes Element Call'] = mcSeesEc;
    out['C.<matrix-call> tiles'] = await mc.tiles();
    out['C.Element Call tiles'] = await ec.tiles();
    out['C.Element Call sent'] = sent(await ec.records(), t0).slice(0, 12);
    out['C.Element Call received rtc.member / keys'] = (await ec.records())
      .filter(
        (r) => isReceived(r) && r.at >= t0 && /rtc.member|encryption_keys|call.member/.test(r.type),
      )
      .slice(0, 12);
    out['C.wire'] = wire.filter((w) =>
      /get_token|sfu\/get|rtc\.member|call\.member|sticky|delegate/.test(
        w.path + JSON.stringify(w.query),
      ),
    );
    await ec.screenshot('observe-C-matrix2');
    await mc.screenshot('observe-C-matrix2');
    await Promise.all([ec.closePage(), mc.closePage()]);
  }

  // ── D. The host refuses a capability: what Element Call does instead. ──
  const denials: [string, string[]][] = [
    ['delayed events', ['^org\\.matrix\\.msc4157\\.']],
    [
      'encrypted key to-device',
      ['^org\\.matrix\\.msc3819\\.send\\.to_device:io\\.element\\.call\\.encryption_keys$'],
    ],
  ];
  for (const [what, deny] of wanted('D') ? denials : []) {
    const ed = await run.user('Edda');
    const bo = await run.user('Bo');
    const room = await run.room(ed, [bo]);
    await Promise.all([ec.open(ed, room, { deny }), mc.open(bo, room)]);
    const t0 = Date.now();
    const joined = await ec
      .join()
      .then(() => true)
      .catch(() => false);
    await mc.join();
    const ecSeesMc = await within(20_000, async () => {
      await ec.seesVideoOf(mc, 2000);
      return true;
    });
    const mcSeesEc = await within(20_000, async () => {
      await mc.seesVideoOf(ec, 2000);
      return true;
    });
    const records = await ec.records();
    const caps = records.find((r) => 'kind' in r && r.kind === 'capabilities');
    out[`D.${what}: refused`] =
      caps && 'requested' in caps
        ? (caps.requested ?? []).filter((c) => !(caps.granted ?? []).includes(c))
        : [];
    out[`D.${what}: Element Call joined`] = joined;
    out[`D.${what}: Element Call decodes <matrix-call>`] = ecSeesMc;
    out[`D.${what}: <matrix-call> decodes Element Call`] = mcSeesEc;
    out[`D.${what}: Element Call sent`] = sent(records, t0).slice(0, 6);
    out[`D.${what}: driver errors`] = records.filter((r) => 'kind' in r && r.kind === 'error');
    out[`D.${what}: <matrix-call> tile of Element Call`] = (await mc.remoteTiles('camera'))[0];
    await ec.screenshot(`observe-D-${what.replace(/\W+/g, '-')}`);
    await Promise.all([ec.closePage(), mc.closePage()]);
  }
} finally {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, 'observations.json');
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(JSON.stringify(out, null, 2).slice(0, 20_000));
  console.log(`→ ${file}`);
  await ec.close();
  await run.close();
  await server.close();
}
