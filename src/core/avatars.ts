import type { MatrixClient } from 'matrix-js-sdk/lib/matrix.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';

/**
 * Avatar thumbnails as blob URLs. Homeservers now require authenticated media
 * (an `Authorization` header), which an `<img src>` cannot send, so the core
 * fetches each thumbnail once and hands the UI a local URL.
 */
export class AvatarCache {
  readonly #urls = new Map<string, string | null>();
  readonly #pending = new Set<string>();

  constructor(
    private readonly client: MatrixClient,
    private readonly log: DiagnosticsLog,
    private readonly onLoaded: () => void,
  ) {}

  /** The blob URL if loaded; otherwise starts loading it and returns undefined. */
  get(mxc: string | null | undefined): string | undefined {
    if (!mxc?.startsWith('mxc://')) return undefined;
    const known = this.#urls.get(mxc);
    if (known !== undefined) return known ?? undefined;
    if (!this.#pending.has(mxc)) void this.#load(mxc);
    return undefined;
  }

  async #load(mxc: string): Promise<void> {
    this.#pending.add(mxc);
    try {
      const http = this.client.mxcUrlToHttp(mxc, 96, 96, 'crop', false, true, true);
      const token = this.client.getAccessToken();
      if (!http) throw new Error('unusable mxc URL');
      const response = await fetch(http, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.#urls.set(mxc, URL.createObjectURL(await response.blob()));
      this.onLoaded();
    } catch (error) {
      this.#urls.set(mxc, null); // don't retry on every render; initials stand in
      this.log.debug('matrix', 'avatar unavailable', { error: describe(error) });
    } finally {
      this.#pending.delete(mxc);
    }
  }

  dispose(): void {
    for (const url of this.#urls.values()) if (url) URL.revokeObjectURL(url);
    this.#urls.clear();
  }
}
