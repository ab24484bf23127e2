const streams = new WeakMap<MediaStreamTrack, MediaStream>();

/**
 * One `MediaStream` per track, reused across renders: a new stream object on
 * an element's `srcObject` would restart playback. Bind it with `live()`:
 * setting `srcObject` again, even to the same stream, also restarts playback
 * (the element reloads), and Lit sets object values on every render.
 */
export function streamFor(track: MediaStreamTrack): MediaStream {
  let stream = streams.get(track);
  if (!stream) streams.set(track, (stream = new MediaStream([track])));
  return stream;
}

/** Adds or removes a custom state (`:state(name)`), where the browser supports them. */
export function toggleState(internals: ElementInternals, name: string, on: boolean): void {
  try {
    if (on) internals.states.add(name);
    else internals.states.delete(name);
  } catch {
    // Older engines only accept `--name` states, or have none: styling then falls back.
  }
}

/** Whether a key event is typed into a text field, where shortcuts must not fire. */
export function isTyping(event: Event): boolean {
  const target = event.composedPath()[0];
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement &&
    !['button', 'checkbox', 'radio', 'range', 'submit', 'reset'].includes(target.type)
  );
}

/** Up to two initials of a display name, for avatar placeholders. */
export function initials(name: string): string {
  const words = name
    .replace(/^[@#!]/, '')
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]];
  return letters
    .map((w) => (w ? String.fromCodePoint(w.codePointAt(0) ?? 32) : ''))
    .join('')
    .toUpperCase();
}

const avatarColors = ['#0b6e4f', '#1864ab', '#862e9c', '#a61e4d', '#5f3dc4', '#9c3d00', '#0b7285'];

/** A stable background for someone's initials, with AA contrast against white. */
export function avatarColor(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return avatarColors[Math.abs(hash) % avatarColors.length] ?? '#1864ab';
}
