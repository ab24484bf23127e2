export default {
  globs: ['src/elements/**/*.ts', 'src/events/**/*.ts'],
  exclude: ['src/**/*.test.ts', 'src/**/*.styles.ts', 'src/**/test-*.ts'],
  outdir: '.',
  litelement: true,
  packagejson: false,
};
