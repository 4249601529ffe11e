// Lighthouse's mobile audit of the portal's first pages (lib/lighthouse.mjs), as a guard
// against regressions: accessibility and best practices must stay at their budget, the home
// page's first visit within its weight. Performance is a score computed from simulated
// timings on a shared two-core machine, so CI holds it to a lower floor than the budget;
// scripts/lighthouse prints every figure against the full budget.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BUDGET, audit, portalPages, table } from './lib/lighthouse.mjs';
import { startServer } from './lib/server.mjs';

/** The performance score below which CI fails (the budget is BUDGET.performance). */
const PERFORMANCE_FLOOR = 85;

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('the portal pages keep their Lighthouse scores and the home page its weight', async () => {
  const results = await audit(await portalPages(server.url));
  console.log(table(results));
  for (const r of results) {
    assert.equal(r.runtimeError, undefined, `${r.name}: ${r.runtimeError}`);
    assert.equal(r.accessibility, BUDGET.accessibility, `${r.name}: failing ${r.failing.join(' ')}`);
    assert.ok(r.bestPractices >= BUDGET.bestPractices, `${r.name}: best practices ${r.bestPractices}`);
    assert.ok(r.performance >= PERFORMANCE_FLOOR, `${r.name}: performance ${r.performance}`);
    if (r.name.startsWith('home')) {
      assert.ok(r.transferKb <= BUDGET.homeKb, `${r.name}: ${r.transferKb} KB on a first visit`);
    }
  }
});
