/**
 * A person whose <matrix-call> runs as a widget (`cdn/widget.html`) inside our test widget host,
 * as Element Web would host it in place of Element Call: the host page signs in with Rust
 * crypto and speaks the widget API; every check of the harness reads the widget's iframe.
 */
import type { Frame } from 'playwright-core';
import type { ProvisionedUser } from '../../stack/provision.js';
import type { HostInfo, HostStartOptions } from '../widget-host/host-page.js';
import type { WidgetHostServer } from '../widget-host/serve.js';
import type { HostRecord } from '../widget-host/widget-host.js';
import { E2ERun, HELPERS, Participant, waitFor, type Colour } from './harness.js';

const HELPERS_FRAME = '/matrix-call/';
/** Console lines of the host page (a stand-in for Element Web, which logs its own way). */
export const WIDGET_HOST_TAG = '[widget-host]';

export interface WidgetOpenOptions {
  /** Extra or overridden URL parameters (Element Call's names). */
  extra?: Record<string, string>;
  /** RegExp sources of capabilities the host refuses. */
  deny?: string[];
  /** Shared-secret E2EE (the `password` parameter). */
  secret?: string;
  /** The view to wait for; `none` waits for nothing. */
  until?: 'lobby' | 'failed' | 'none';
}

export class WidgetParticipant extends Participant {
  info: HostInfo | undefined;
  /** The access tokens of the host's logins (the widget must never see them). */
  readonly hostTokens: string[] = [];
  /** Every request the widget's iframe made, with its headers (for the secret checks). */
  readonly frameRequests: { url: string; headers: Record<string, string> }[] = [];

  constructor(
    run: E2ERun,
    label: string,
    colour: Colour,
    readonly server: WidgetHostServer,
  ) {
    super(run, label, colour);
  }

  static async launchWidget(
    run: E2ERun,
    server: WidgetHostServer,
    label: string,
    colour: Colour,
  ): Promise<WidgetParticipant> {
    const p = new WidgetParticipant(run, label, colour, server);
    await p.launch();
    run.participants.add(p);
    return p;
  }

  /** The widget's iframe, where <matrix-call> is. */
  override get doc(): Frame {
    const frame = this.p.frames().find((f) => f.url().includes(HELPERS_FRAME));
    if (!frame) throw new Error(`${this.label} shows no matrix-call widget`);
    return frame;
  }

  /** Opens the host page as `user`, shows our widget for `room` and waits for its lobby. */
  async openWidget(
    user: ProvisionedUser,
    room: string,
    opts: WidgetOpenOptions = {},
  ): Promise<HostInfo> {
    await this.closePage();
    this.user = user;
    const context = await this.browser.newContext({
      viewport: { width: 960, height: 640 },
      permissions: ['camera', 'microphone'],
      colorScheme: 'light',
    });
    await context.addInitScript({ path: HELPERS });
    this.context = context;
    const page = await context.newPage();
    this.page = page;
    this.listen(page);
    page.on('request', (request) => {
      if (request.frame().url().includes(HELPERS_FRAME))
        this.frameRequests.push({ url: request.url(), headers: request.headers() });
    });
    await page.goto(this.server.hostUrl);
    const start: HostStartOptions = {
      homeserver: this.run.stack.homeserverUrl,
      username: user.username,
      password: user.password,
      roomId: room,
      widgetBase: this.server.matrixCallWidgetUrl,
      ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
      ...(opts.deny ? { deny: opts.deny } : {}),
      ...(opts.extra ? { extra: opts.extra } : {}),
    };
    this.info = await page.evaluate((o) => window.__host.start(o), start);
    if (this.accessToken) this.hostTokens.push(this.accessToken);
    await waitFor('the widget frame', () =>
      page.frames().some((f) => f.url().includes(HELPERS_FRAME)),
    );
    const until = opts.until ?? 'lobby';
    if (until !== 'none') await this.waitForView(until, 45_000);
    return this.info;
  }

  protected override consoleTag(url: string): string {
    return url.includes(HELPERS_FRAME) ? '' : ` ${WIDGET_HOST_TAG}`;
  }

  /** Sends a host → widget action; resolves to the widget's reply. */
  sendAction(action: string, data: Record<string, unknown> = {}): Promise<unknown> {
    return this.p.evaluate(([a, d]) => window.__host.send(a, d), [action, data] as const);
  }

  /** What the host recorded: driver requests, widget actions both ways. */
  records(): Promise<HostRecord[]> {
    return this.p.evaluate(() => window.__host.records);
  }

  /** The widget actions the host got from the widget, in order. */
  async actionsFromWidget(): Promise<{ action: string; data: unknown; at: number }[]> {
    return (await this.records()).flatMap((r) =>
      'direction' in r && r.direction === 'from-widget'
        ? [{ action: r.action, data: r.data, at: r.at }]
        : [],
    );
  }
}
