import type { ReactiveController, ReactiveControllerHost } from 'lit';

type RareViews = typeof import('./rare-views.js');
let loaded: RareViews | undefined;
let loading: Promise<RareViews> | undefined;

/** The sign-in, error and "you left" screens and the banners: one chunk, loaded once, on first need. */
export function loadRareViews(): Promise<RareViews> {
  loading ??= import('./rare-views.js').then(
    (views) => {
      views.defineRareScreens();
      return (loaded = views);
    },
    (error: unknown) => {
      loading = undefined; // try again next time
      throw error;
    },
  );
  return loading;
}

/** The rarely shown views for a host: `get()` starts loading them and re-renders once they are in. */
export class RareViewsController implements ReactiveController {
  /** The chunk could not be loaded (offline, blocked): the host shows its fallback. */
  failed = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    // Nothing to do until a view is needed.
  }

  /** The views, or `undefined` while their chunk loads. */
  get(): RareViews | undefined {
    if (!loaded && !this.failed)
      loadRareViews().then(
        () => {
          this.host.requestUpdate();
        },
        () => {
          this.failed = true;
          this.host.requestUpdate();
        },
      );
    return loaded;
  }
}
