import { minify } from 'terser';

/**
 * A second, harder minification (terser, two compress passes) of the CDN entry alone: the
 * entry has a size budget (bench/size.mjs), and esbuild's single pass leaves about 2 % on the
 * table. The large lazy chunks keep esbuild's output, which builds in a fraction of the time.
 */
export function terseEntry(fileName) {
  return {
    name: 'terse-entry',
    async renderChunk(code, chunk) {
      if (chunk.fileName !== fileName) return null;
      const result = await minify(code, {
        module: true,
        ecma: 2022,
        compress: { passes: 2 },
        sourceMap: true,
      });
      return { code: result.code ?? code, map: result.map };
    },
  };
}
