// Sums the vitest JSON reports of every package into CI's closing line.
// A package whose tests did not run at all (no report) counts as one failure.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
let passed = 0;
let failed = 0;
const missing = [];
const failures = [];
for (const group of ['packages', 'apps']) {
  for (const name of fs.readdirSync(path.join(root, group))) {
    const dir = path.join(root, group, name);
    if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
    const report = path.join(dir, '.test-results.json');
    if (!fs.existsSync(report)) { missing.push(`${group}/${name}`); failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // The failing tests' names go just above the closing line: CI shows only the tail of the output.
    for (const file of r.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        const where = path.relative(root, file.name);
        const why = (t.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
        failures.push(`FAILED ${where} > ${t.fullName}\n    ${why}`);
      }
    }
  }
}
for (const f of failures) console.log(f);
if (missing.length) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
