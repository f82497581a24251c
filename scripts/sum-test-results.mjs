// Sums the vitest JSON reports of every package into CI's closing line.
// Usage: node scripts/sum-test-results.mjs [ROOT]   (ROOT: the checkout; default this script's)
// A package whose tests did not run at all (no report) counts as one failure. So does a test
// file that failed outside its tests (a beforeAll/afterAll that threw: vitest then marks the
// file's tests skipped, not failed), and a package whose test command failed although its report
// shows no failure (an error vitest caught outside any test, e.g. thrown after a test ended:
// vitest exits 1 but its JSON report says success). That last check reads the exit codes of the
// `test` tasks from turbo's run summaries (ROOT/.turbo/runs/*.json, written by `--summarize`).
// Without these the closing line could say "0 failed" over a broken run.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
let passed = 0;
let failed = 0;
const missing = [];
const failures = [];
const firstLine = (text) => (text ?? '').split('\n')[0].slice(0, 300);

/** Exit code of each package's `test` task (by its directory), from turbo's run summaries. */
function testExitCodes() {
  const codes = new Map();
  const runs = path.join(root, '.turbo', 'runs');
  if (!fs.existsSync(runs)) return codes;
  for (const file of fs.readdirSync(runs).filter((f) => f.endsWith('.json'))) {
    const summary = JSON.parse(fs.readFileSync(path.join(runs, file), 'utf8'));
    for (const task of summary.tasks ?? []) {
      if (task.task === 'test' && typeof task.execution?.exitCode === 'number') codes.set(task.directory, task.execution.exitCode);
    }
  }
  return codes;
}
const exitCodes = testExitCodes();

for (const group of ['packages', 'apps']) {
  if (!fs.existsSync(path.join(root, group))) continue;
  for (const name of fs.readdirSync(path.join(root, group)).sort()) {
    const dir = path.join(root, group, name);
    if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
    const report = path.join(dir, '.test-results.json');
    if (!fs.existsSync(report)) { missing.push(`${group}/${name}`); failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    const exitCode = exitCodes.get(`${group}/${name}`) ?? 0;
    let unexplained = (r.success === false || exitCode !== 0) && r.numFailedTests === 0;
    // The failures go just above the closing line: CI shows only the tail of the output.
    for (const file of r.testResults ?? []) {
      const where = path.relative(root, file.name);
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        failures.push(`FAILED ${where} > ${t.fullName}\n    ${firstLine(t.failureMessages?.[0])}`);
      }
      // A file that failed although none of its tests did: a hook (vitest leaves the message
      // empty when the hook belonged to a describe block; the file's output above has it).
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) {
        failed += 1;
        unexplained = false;
        failures.push(`FAILED ${where} > (hook) ${firstLine(file.message) || 'a beforeAll/afterAll failed (see this file\'s output above)'}`);
      }
    }
    if (unexplained) {
      failed += 1;
      const how = exitCode !== 0 ? `its tests exited ${exitCode}` : 'vitest reported a failed run';
      failures.push(`FAILED ${group}/${name} > (outside any test) ${how} although no test failed: an error not attached to a test (see the package's output above)`);
    }
  }
}
for (const f of failures) console.log(f);
if (missing.length) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
