import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { transform } from 'esbuild';

/**
 * Bundlers such as Vite and webpack resolve `new URL('pkg/file', import.meta.url)`
 * to an emitted asset; rollup does not. This does the same for bare package
 * specifiers (the LiveKit E2EE worker), so the CDN build finds the file next
 * to the chunk that asks for it. Relative URLs are left to
 * @web/rollup-plugin-import-meta-assets.
 */
export function packageUrl() {
  const pattern =
    /new\s+URL\(\s*(['"])((?:@[\w-][\w.-]*\/)?[\w-][\w.-]*\/[\w./-]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  return {
    name: 'package-url',
    async transform(code, id) {
      if (!code.includes('import.meta.url')) return null;
      const matches = [...code.matchAll(pattern)];
      if (matches.length === 0) return null;
      let out = code;
      for (const match of matches) {
        const [expression, , specifier] = match;
        const resolved = await this.resolve(specifier, id, { skipSelf: true });
        if (!resolved || resolved.external) this.error(`Cannot resolve ${specifier} from ${id}`);
        let source = await readFile(resolved.id);
        // Packages ship workers unminified; the CDN serves what we emit as is.
        if (/\.m?js$/.test(resolved.id)) {
          source = (
            await transform(source.toString('utf8'), {
              minify: true,
              format: 'esm',
              target: 'es2022',
            })
          ).code;
        }
        const ref = this.emitFile({ type: 'asset', name: basename(resolved.id), source });
        out = out.replace(expression, `new URL(import.meta.ROLLUP_FILE_URL_${ref})`);
      }
      return { code: out, map: null };
    },
  };
}
