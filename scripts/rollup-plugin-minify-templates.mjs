import { minifyHTMLLiterals } from 'minify-literals';

/**
 * Minifies the HTML and CSS inside our Lit `html` and `css` templates for the CDN build:
 * esbuild leaves template strings as written, indentation included.
 */
export function minifyTemplates() {
  return {
    name: 'minify-templates',
    async transform(code, id) {
      if (!/\/src\/elements\/.*\.ts$/.test(id) || id.endsWith('.test.ts')) return null;
      const result = await minifyHTMLLiterals(code, { fileName: id });
      return result ? { code: result.code, map: result.map } : null;
    },
  };
}
