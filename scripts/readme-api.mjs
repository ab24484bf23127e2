// Writes the element API tables into README.md from custom-elements.json,
// between <!-- api:start --> and <!-- api:end -->. `--check` fails if they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';

const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
const esc = (s = '') => String(s).replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
const code = (s) => (s ? `\`${esc(s)}\`` : '');

const sections = [];
for (const mod of manifest.modules) {
  for (const decl of mod.declarations ?? []) {
    if (!decl.customElement || !decl.tagName) continue;
    const lines = [`### \`<${decl.tagName}>\``, '', esc(decl.summary ?? decl.description), ''];
    const attrs = (decl.attributes ?? []).filter((a) => !a.name.startsWith('_'));
    if (attrs.length) {
      lines.push(
        '| Attribute | Property | Type | Default | Description |',
        '|---|---|---|---|---|',
      );
      for (const a of attrs) {
        lines.push(
          `| ${code(a.name)} | ${code(a.fieldName)} | ${code(a.type?.text)} | ${code(a.default)} | ${esc(a.description)} |`,
        );
      }
      lines.push('');
    }
    const attrFields = new Set(attrs.map((a) => a.fieldName));
    const props = (decl.members ?? []).filter(
      (m) =>
        m.kind === 'field' &&
        m.privacy !== 'private' &&
        m.privacy !== 'protected' &&
        !m.static &&
        !attrFields.has(m.name) &&
        !m.name.startsWith('_') &&
        m.description,
    );
    if (props.length) {
      lines.push('| Property (no attribute) | Type | Description |', '|---|---|---|');
      for (const p of props)
        lines.push(`| ${code(p.name)} | ${code(p.type?.text)} | ${esc(p.description)} |`);
      lines.push('');
    }
    const methods = (decl.members ?? []).filter(
      (m) =>
        m.kind === 'method' &&
        m.privacy !== 'private' &&
        m.privacy !== 'protected' &&
        !m.name.startsWith('_') &&
        m.description &&
        ![
          'render',
          'connectedCallback',
          'disconnectedCallback',
          'updated',
          'willUpdate',
          'firstUpdated',
        ].includes(m.name),
    );
    if (methods.length) {
      lines.push('| Method | Description |', '|---|---|');
      for (const m of methods) {
        const params = (m.parameters ?? [])
          .map((p) => `${p.name}${p.optional ? '?' : ''}`)
          .join(', ');
        lines.push(
          `| ${code(`${m.static ? `${decl.name}.` : ''}${m.name}(${params})`)} | ${esc(m.description)} |`,
        );
      }
      lines.push('');
    }
    if (decl.events?.length) {
      lines.push('| Event | Type | Description |', '|---|---|---|');
      for (const e of decl.events)
        lines.push(`| ${code(e.name)} | ${code(e.type?.text)} | ${esc(e.description)} |`);
      lines.push('');
    }
    if (decl.slots?.length) {
      lines.push('| Slot | Description |', '|---|---|');
      for (const s of decl.slots)
        lines.push(`| ${s.name ? code(s.name) : '(default)'} | ${esc(s.description)} |`);
      lines.push('');
    }
    if (decl.cssParts?.length) {
      lines.push('| CSS part | Description |', '|---|---|');
      for (const p of decl.cssParts) lines.push(`| ${code(p.name)} | ${esc(p.description)} |`);
      lines.push('');
    }
    if (decl.cssProperties?.length) {
      lines.push('| CSS custom property | Default | Description |', '|---|---|---|');
      for (const p of decl.cssProperties)
        lines.push(`| ${code(p.name)} | ${code(p.default)} | ${esc(p.description)} |`);
      lines.push('');
    }
    if (decl.cssStates?.length) {
      lines.push('| CSS state | Description |', '|---|---|');
      for (const s of decl.cssStates)
        lines.push(`| ${code(`:state(${s.name})`)} | ${esc(s.description)} |`);
      lines.push('');
    }
    sections.push(lines.join('\n'));
  }
}

const generated = `<!-- api:start (generated from custom-elements.json by \`npm run manifest\`; do not edit) -->\n\n${sections.join('\n')}\n<!-- api:end -->`;
const readme = readFileSync('README.md', 'utf8');
// Formatted like `prettier --write` would, so the lint and this check agree.
const updated = await format(readme.replace(/<!-- api:start[\s\S]*?<!-- api:end -->/, generated), {
  ...(await resolveConfig('README.md')),
  filepath: 'README.md',
});
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md API tables are stale: run `npm run manifest` and commit the result.');
    process.exit(1);
  }
  console.log('README.md API tables are current.');
} else {
  writeFileSync('README.md', updated);
}
