import { html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { CallParticipant } from '../../core/types.js';
import type { CallPinEvent } from '../../events/call-pin.js';
import type { CallTileResizeEvent } from '../../events/call-tile-resize.js';
import { CallTileElement } from '../call-tile/call-tile.js';
import { CallPartElement } from '../shared/call-part-element.js';
import { tokens } from '../shared/tokens.js';
import { icons } from '../shared/icons.js';
import { fitTiles } from './fit.js';
import { styles } from './call-grid.styles.js';
import type { LargeCall } from './large-call.js';

interface Tile {
  key: string;
  participant: CallParticipant;
  source: 'camera' | 'screen-share';
}

/** Which layout the grid is showing. */
export type CallLayout = 'empty' | 'one-on-one' | 'grid' | 'spotlight';

/** `<call-tile>`'s parts, exported by the grid as `tile__<name>`. */
export const TILE_PART_NAMES = [
  'base',
  'video',
  'avatar',
  'name',
  'muted-badge',
  'quality',
  'e2ee-badge',
  'pin-button',
  'hand-badge',
  'reaction',
];
const tileParts = TILE_PART_NAMES.map((p) => `${p}:tile__${p}`).join(', ');

type Corner = 'tl' | 'tr' | 'bl' | 'br';

/**
 * @summary Lays out the call's tiles: one-on-one with a movable self view, a grid fitted to each video's shape, or a spotlight with a filmstrip for screen shares and pinned tiles.
 * @tag call-grid
 * @since 0.1
 * @status experimental
 * @dependency call-tile
 *
 * @slot empty - Shown while you are alone in the call (defaults to "Waiting for others to join…").
 *
 * @csspart base - The layout's wrapper.
 * @csspart tile - Every `<call-tile>`; its own parts are exported as `tile__base`, `tile__video`, `tile__avatar`, `tile__name`, `tile__muted-badge`, `tile__quality`, `tile__e2ee-badge`, `tile__pin-button`, `tile__hand-badge` and `tile__reaction`.
 * @csspart pip - The movable self view in a one-on-one call.
 * @csspart spotlight - The large tile of the spotlight layout.
 * @csspart filmstrip - The strip of small tiles next to the spotlight.
 * @csspart pagination - The page buttons of a large call.
 * @csspart empty - The "waiting for others" notice.
 *
 * @cssproperty [--matrix-call-spacing=8px] - Gap between tiles.
 *
 * @cssstate one-on-one - One remote participant: they fill the view, you are in the corner.
 * @cssstate grid - Two or more remote participants in a grid.
 * @cssstate spotlight - A screen share or pinned tile is in the spotlight.
 * @cssstate empty - You are alone in the call.
 */
export class CallGridElement extends CallPartElement {
  static override styles = [tokens, styles];

  /** Most tiles on one page of the grid (fewer on narrow screens). */
  @property({ type: Number, attribute: 'page-size' }) pageSize = 9;

  /** Key of the tile in the spotlight: a participant ID, or `ID:screen` for a screen share. */
  @property() pinned = '';

  @state() private page = 0;
  @state() private width = 0;
  @state() private height = 0;
  @state() private corner: Corner = 'br';
  /** What a call of more than one page needs, loaded once one is. */
  @state() private large: typeof import('./large-call.js') | undefined;

  readonly #call = this.followCall();
  readonly #internals = this.attachInternals();
  readonly #ratios = new Map<string, number>();
  readonly #resizeObserver = new ResizeObserver(([entry]) => {
    const stage = entry?.contentRect;
    if (!stage) return;
    this.width = stage.width;
    this.height = stage.height;
  });
  #drag: { x: number; y: number; dx: number; dy: number; id: number } | undefined;
  #large: LargeCall | undefined;
  /** Each camera tile's place, from `#large`. */
  #rank = new Map<string, number>();

  /** The layout in use. */
  get layout(): CallLayout {
    return this.#arrange().layout;
  }

  /** Number of pages of the grid layout. */
  get pageCount(): number {
    return this.#arrange().pages;
  }

  constructor() {
    super();
    this.addController({
      hostConnected: () => {
        this.#resizeObserver.observe(this);
      },
      hostDisconnected: () => {
        this.#resizeObserver.disconnect();
        this.#large?.dispose();
      },
    });
    this.addEventListener('keydown', (event) => {
      const step = event.key === 'PageDown' ? 1 : event.key === 'PageUp' ? -1 : 0;
      if (!step || this.pageCount < 2) return;
      event.preventDefault();
      void this.#turn(step);
    });
    this.addEventListener('call-pin', (event: CallPinEvent) => {
      this.pinned = event.pinned ? event.tileKey : '';
    });
    this.addEventListener('call-tile-resize', (event: CallTileResizeEvent) => {
      const tile = event.composedPath()[0];
      if (!(tile instanceof CallTileElement) || !tile.participant) return;
      const key =
        tile.source === 'screen-share' ? `${tile.participant.id}:screen` : tile.participant.id;
      if (this.#ratios.get(key) === event.aspectRatio) return;
      this.#ratios.set(key, event.aspectRatio);
      this.requestUpdate();
    });
  }

  /** Shows the next page of a large call (PageDown). */
  nextPage(): void {
    void this.#turn(1);
  }

  /** Shows the previous page of a large call (PageUp). */
  previousPage(): void {
    void this.#turn(-1);
  }

  async #turn(step: number): Promise<void> {
    const hadFocus = this.matches(':focus-within');
    this.page = Math.max(0, Math.min(this.page + step, this.#arrange().pages - 1));
    await this.updateComplete;
    // Focus on a tile that left, or on a button now disabled, goes to an enabled page button.
    const focused = this.shadowRoot?.activeElement;
    if (!hadFocus || (focused && !focused.matches(':disabled'))) return;
    this.renderRoot
      .querySelector<HTMLElement>('[part="pagination"] button:not(:disabled)')
      ?.focus();
  }

  #tiles(): Tile[] {
    const rank = (p: CallParticipant) => this.#rank.get(p.id) ?? 1e9;
    const participants = [...(this.#call.snapshot?.participants ?? [])].sort(
      (a, b) => rank(a) - rank(b),
    );
    const tiles: Tile[] = [];
    for (const participant of participants) {
      if (participant.screenShareEnabled && participant.screenShareTrack)
        tiles.push({ key: `${participant.id}:screen`, participant, source: 'screen-share' });
    }
    for (const participant of participants)
      tiles.push({ key: participant.id, participant, source: 'camera' });
    return tiles;
  }

  #arrange() {
    const tiles = this.#tiles();
    const cameras = tiles.filter((t) => t.source === 'camera');
    const remotes = cameras.filter((t) => !t.participant.isLocal);
    const screens = tiles.filter((t) => t.source === 'screen-share');
    const focus =
      tiles.find((t) => t.key === this.pinned) ??
      screens.find((t) => !t.participant.isLocal) ??
      screens[0];
    const narrow = this.width > 0 && this.width < 600;
    const pageSize = Math.max(1, narrow ? Math.min(this.pageSize, 6) : this.pageSize);
    const pages = focus || remotes.length < 2 ? 1 : Math.ceil(cameras.length / pageSize);
    const layout: CallLayout = focus
      ? 'spotlight'
      : remotes.length === 0
        ? 'empty'
        : remotes.length === 1
          ? 'one-on-one'
          : 'grid';
    return { tiles, cameras, remotes, focus, pages, pageSize, layout };
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const { layout, pages, cameras, pageSize } = this.#arrange();
    if (this.page > pages - 1) this.page = Math.max(0, pages - 1);
    const large = this.large;
    if (!large && cameras.length > pageSize)
      void import('./large-call.js').then((loaded) => (this.large = loaded));
    if (large) {
      this.#large ??= new large.LargeCall(() => {
        this.requestUpdate();
      });
      this.#rank = this.#large.update(
        this.#call.session,
        cameras.map((t) => t.participant),
        layout === 'spotlight' ? 'in-sight' : pages > 1 ? this.page : 'all',
        pageSize,
      );
    }
    for (const name of ['one-on-one', 'grid', 'spotlight', 'empty'] as const) {
      try {
        if (name === layout) this.#internals.states.add(name);
        else this.#internals.states.delete(name);
      } catch {
        // no custom states in this engine
      }
    }
  }

  protected override updated(): void {
    this.#large?.watch(this.renderRoot.querySelectorAll('call-tile'));
  }

  #tile(tile: Tile, extra: { pinnable?: boolean; style?: string } = {}) {
    return html`<call-tile
      part="tile"
      exportparts=${tileParts}
      .participant=${tile.participant}
      source=${tile.source}
      ?pinned=${tile.key === this.pinned}
      ?pinnable=${extra.pinnable ?? true}
      style=${extra.style ?? ''}
    ></call-tile>`;
  }

  override render() {
    const { tiles, cameras, remotes, focus, pages, pageSize, layout } = this.#arrange();
    const t = this.i18n;
    if (tiles.length === 0) return html`<div part="base" class="base"></div>`;
    if (layout === 'spotlight' && focus) {
      const below = this.width < 700 || this.width < this.height * 1.2;
      return html`<div part="base" class="base spotlight ${below ? 'below' : ''}">
        <div part="spotlight" class="stage">
          ${repeat(
            [focus],
            (x) => x.key,
            (x) => this.#tile(x, { style: 'inset:0' }),
          )}
        </div>
        <div part="filmstrip" class="filmstrip">
          ${repeat(
            tiles.filter((x) => x !== focus),
            (x) => x.key,
            (x) => this.#tile(x),
          )}
        </div>
      </div>`;
    }
    const local = cameras.find((x) => x.participant.isLocal);
    if (layout === 'empty' || (layout === 'one-on-one' && remotes[0])) {
      const main = layout === 'empty' ? local : remotes[0];
      return html`<div part="base" class="base">
        <div class="stage">
          ${
            main
              ? html`<div class="fill">
                  ${this.#tile(main, { pinnable: false, style: 'position:absolute;inset:0' })}
                </div>`
              : nothing
          }
          ${
            layout === 'empty'
              ? html`<div part="empty" class="empty" role="status">
                  <slot name="empty">${t.t('waitingForOthers')}</slot>
                </div>`
              : local
                ? this.#pip(local)
                : nothing
          }
        </div>
      </div>`;
    }
    const page = Math.min(this.page, pages - 1);
    const visible = cameras.slice(page * pageSize, (page + 1) * pageSize);
    const gap = 8;
    const boxes = fitTiles(
      visible.map((x) => this.#ratios.get(x.key) ?? 16 / 9),
      this.width,
      this.height - (pages > 1 ? 44 + gap : 0),
      gap,
    );
    return html`<div part="base" class="base">
      <div class="stage">
        ${repeat(
          visible,
          (x) => x.key,
          (x, i) => {
            const box = boxes[i];
            return this.#tile(x, {
              style: box
                ? `left:${box.x}px;top:${box.y}px;width:${box.width}px;height:${box.height}px`
                : 'visibility:hidden',
            });
          },
        )}
      </div>
      ${
        pages > 1
          ? html`<nav
              part="pagination"
              class="pagination"
              aria-label=${t.t('pageOf', { page: page + 1, pages })}
            >
              <button
                aria-label=${t.t('previousPage')}
                aria-keyshortcuts="PageUp"
                ?disabled=${page === 0}
                @click=${() => {
                  this.previousPage();
                }}
              >
                ${icons.chevronLeft}
              </button>
              <span aria-live="polite">${t.t('pageOf', { page: page + 1, pages })}</span>
              <button
                aria-label=${t.t('nextPage')}
                aria-keyshortcuts="PageDown"
                ?disabled=${page >= pages - 1}
                @click=${() => {
                  this.nextPage();
                }}
              >
                ${icons.chevronRight}
              </button>
              <span>${t.count('participantsOne', 'participantsOther', cameras.length)}</span>
            </nav>`
          : nothing
      }
    </div>`;
  }

  #pip(local: Tile) {
    const [v, h] = this.corner;
    const offset = this.#drag ? `translate(${this.#drag.dx}px, ${this.#drag.dy}px)` : '';
    return html`<div
      part="pip"
      class="pip ${v} ${h} ${this.#drag ? 'dragging' : ''}"
      style=${offset ? `transform:${offset}` : ''}
      role="group"
      tabindex="0"
      aria-label=${this.i18n.t('movePip')}
      @keydown=${this.#onPipKey}
      @pointerdown=${this.#onPipDown}
      @pointermove=${this.#onPipMove}
      @pointerup=${this.#onPipUp}
      @pointercancel=${this.#onPipUp}
    >
      ${this.#tile(local, { pinnable: false })}
    </div>`;
  }

  readonly #onPipKey = (event: KeyboardEvent): void => {
    const [v, h] = this.corner;
    const moves: Record<string, Corner> = {
      ArrowUp: `t${h}` as Corner,
      ArrowDown: `b${h}` as Corner,
      ArrowLeft: `${v}l` as Corner,
      ArrowRight: `${v}r` as Corner,
    };
    const corner = moves[event.key];
    if (!corner) return;
    event.preventDefault();
    this.corner = corner;
  };

  readonly #onPipDown = (event: PointerEvent): void => {
    if (event.button !== 0) return;
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    this.#drag = { x: event.clientX, y: event.clientY, dx: 0, dy: 0, id: event.pointerId };
    this.requestUpdate();
  };

  readonly #onPipMove = (event: PointerEvent): void => {
    if (!this.#drag || event.pointerId !== this.#drag.id) return;
    this.#drag = {
      ...this.#drag,
      dx: event.clientX - this.#drag.x,
      dy: event.clientY - this.#drag.y,
    };
    this.requestUpdate();
  };

  readonly #onPipUp = (event: PointerEvent): void => {
    if (!this.#drag) return;
    const pip = event.currentTarget as HTMLElement;
    const stage = this.getBoundingClientRect();
    const box = pip.getBoundingClientRect();
    const cx = box.left + box.width / 2 - stage.left;
    const cy = box.top + box.height / 2 - stage.top;
    this.corner =
      `${cy < stage.height / 2 ? 't' : 'b'}${cx < stage.width / 2 ? 'l' : 'r'}` as Corner;
    this.#drag = undefined;
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'call-grid': CallGridElement;
  }
}
