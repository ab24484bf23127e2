/**
 * The reactions menu of `<call-controls>`: raise or lower the hand, and Element Call's
 * reactions. Loaded on first use, as a chunk of its own with its strings, which keeps the
 * entry small.
 */
import { html, type TemplateResult } from 'lit';
import { CALL_REACTIONS } from '../../core/reaction-set.js';
import { addFallbackStrings, type Translator } from '../../i18n/index.js';
import { enReactions } from '../../i18n/en-reactions.js';

addFallbackStrings(enReactions);

/** Only the menu uses these rules, so they come with it. */
const menuStyle = html`<style>
  .menu {
    width: auto;
    max-width: min(340px, 92vw);
  }
  .item {
    min-width: 44px;
    min-height: 44px;
    border: 0;
    border-radius: 8px;
    background: none;
    color: inherit;
    font: inherit;
  }
  .item:hover,
  .item:focus-visible {
    background: var(--_control);
  }
  .hand {
    width: 100%;
    text-align: start;
  }
  .hand[aria-checked='true'] {
    background: var(--_accent);
    color: var(--_on-accent);
  }
  .emoji {
    display: grid;
    grid-template-columns: repeat(8, 1fr);
    font-size: 22px;
  }
  .emoji [aria-disabled='true'] {
    opacity: 0.5;
  }
  @media (max-width: 420px) {
    .emoji {
      grid-template-columns: repeat(4, 1fr);
    }
  }
</style>`;

export interface ReactionsMenuInput {
  handRaised: boolean;
  /** False while our last reaction still shows: another would be dropped. */
  canReact: boolean;
  toggleHand: () => void;
  react: (name: string) => void;
}

/** The menu's items: a raise/lower hand toggle, then one button per reaction. */
export function reactionsMenu(t: Translator, input: ReactionsMenuInput): TemplateResult {
  return html`
    ${menuStyle}
    <button
      part="raise-hand-button"
      class="item hand"
      role="menuitemcheckbox"
      tabindex="-1"
      aria-checked=${input.handRaised ? 'true' : 'false'}
      @click=${input.toggleHand}
    >
      <span aria-hidden="true">✋</span> ${t.t(input.handRaised ? 'lowerHand' : 'raiseHand')} (H)
    </button>
    <div class="emoji" role="group" aria-label=${t.t('reactions')}>
      ${CALL_REACTIONS.map((r) => {
        const label = t.t(`reaction-${r.name}`);
        return html`<button
          part="reaction-button"
          class="item"
          role="menuitem"
          tabindex="-1"
          aria-label=${label}
          title=${label}
          aria-disabled=${input.canReact ? 'false' : 'true'}
          @click=${() => {
            if (input.canReact) input.react(r.name);
          }}
        >
          ${r.emoji}
        </button>`;
      })}
    </div>
  `;
}

const moves: Readonly<Record<string, number>> = {
  ArrowRight: 1,
  ArrowDown: 1,
  ArrowLeft: -1,
  ArrowUp: -1,
};

/**
 * Keyboard in a menu: the arrow keys move between the items (wrapping), Home and End go to
 * the first and last, Tab leaves (closing it). Escape is the popover's own.
 */
export function onMenuKeyDown(menu: HTMLElement, event: KeyboardEvent): void {
  const items = [...menu.querySelectorAll<HTMLElement>('.item')];
  const at = items.findIndex((i) => i === (menu.getRootNode() as ShadowRoot).activeElement);
  let next: number | undefined;
  const step = moves[event.key];
  if (step !== undefined) next = (at + step + items.length) % items.length;
  else if (event.key === 'Home') next = 0;
  else if (event.key === 'End') next = items.length - 1;
  else if (event.key === 'Tab') menu.hidePopover();
  if (next === undefined) return;
  event.preventDefault();
  items[next]?.focus();
}
