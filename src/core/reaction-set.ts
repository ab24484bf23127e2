/**
 * Element Call's reactions, as it sends and reads them (`src/reactions/` upstream): `name`
 * picks its sound and animation, `emoji` is shown. Plain data, so the UI can list them
 * without loading the engine.
 */
export const CALL_REACTIONS = [
  { emoji: '👍', name: 'thumbsup' },
  { emoji: '🎉', name: 'party' },
  { emoji: '👏', name: 'clapping' },
  { emoji: '🐶', name: 'dog' },
  { emoji: '🐱', name: 'cat' },
  { emoji: '💡', name: 'lightbulb' },
  { emoji: '🦗', name: 'crickets' },
  { emoji: '👎', name: 'thumbsdown' },
  { emoji: '😵\u200d💫', name: 'dizzy' },
  { emoji: '👌', name: 'ok' },
  { emoji: '🥰', name: 'heart' },
  { emoji: '😄', name: 'laugh' },
  { emoji: '🦌', name: 'deer' },
  { emoji: '🤘', name: 'rock' },
  { emoji: '👋', name: 'wave' },
  { emoji: '🥁', name: 'drum' },
] as const;

export type CallReactionName = (typeof CALL_REACTIONS)[number]['name'];

/** How long a reaction shows; a member's next one is dropped until then (as Element Call). */
export const REACTION_SHOW_MS = 3000;
