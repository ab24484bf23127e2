#!/usr/bin/env node
// `npm start`: builds the CDN bundle and serves the demo page with it.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import sirv from 'sirv';

const port = Number(process.env.PORT ?? 8000);
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const demo = sirv('demo', { dev: true });
const cdn = sirv('cdn', { dev: true });
const server = createServer((req, res) => {
  const next = () => {
    res.statusCode = 404;
    res.end('not found');
  };
  if (req.url?.startsWith('/cdn/')) {
    req.url = req.url.slice(4);
    cdn(req, res, next);
  } else demo(req, res, next);
});
server.on('error', (error) => {
  console.error(
    `Cannot serve the demo on port ${port}: ${error.message}. Set PORT to use another port.`,
  );
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`\nDemo: http://localhost:${port}/   (Ctrl-C to stop)`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
