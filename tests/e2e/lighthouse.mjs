// Prints Lighthouse's figures for the portal's first pages (see lib/lighthouse.mjs) against
// a demo server; exits 1 when a page misses the budget. Run through scripts/lighthouse.

import { audit, missed, portalPages, table } from './lib/lighthouse.mjs';
import { startServer } from './lib/server.mjs';

const server = await startServer();
try {
  const results = await audit(await portalPages(server.url));
  console.log(table(results));
  const misses = missed(results);
  console.log(misses.length ? `\nmissed:\n${misses.join('\n')}` : '\nevery page within the budget');
  process.exitCode = misses.length ? 1 : 0;
} finally {
  await server.stop();
}
