/**
 * `npm test`: everything a change must pass, in one command, ending with the line CI reads:
 * "N passed, N failed". Static checks (typecheck per environment, lint, build) count as one test
 * each; vitest's tests are counted from its JSON report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
process.chdir(root);
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);

let passed = 0;
let failed = 0;
const failures: string[] = [];

function step(name: string, cmd: string, args: string[]): void {
  const t0 = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  process.stdout.write(`== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
}

const only = process.argv.slice(2);

step('typecheck engine + shared (tsconfig.node.json)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json']);
step('typecheck renderer (tsconfig.web.json)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.web.json']);
step('typecheck Electron shell (tsconfig.app.json)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.app.json']);
// oxlint lives in .tools/oxlint (scripts/setup-oxlint.sh says why); installed on first use.
const oxlint = resolve(root, '.tools/oxlint/node_modules/.bin/oxlint');
if (!existsSync(oxlint)) spawnSync('bash', ['scripts/setup-oxlint.sh'], { stdio: 'inherit' });
step('lint (oxlint, import directions)', oxlint, ['-c', '.oxlintrc.json', '--deny-warnings', 'src-main', 'src-renderer', 'src-shared', 'tests', 'scripts']);
if (existsSync('electron.vite.config.ts')) step('build (electron-vite: main, preload, utility entries, renderer)', bin('electron-vite'), ['build']);

mkdirSync('test-results', { recursive: true });
const report = resolve(root, 'test-results/vitest.json');
rmSync(report, { force: true });
process.stdout.write('\n== vitest\n');
const v = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only], { stdio: 'inherit', env: process.env });
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  passed += j.numPassedTests;
  failed += j.numFailedTests;
  for (const f of j.testResults) {
    for (const a of f.assertionResults) if (a.status === 'failed') failures.push(`${f.name.replace(root + '/', '')}: ${a.fullName}`);
    // A file that failed to load has no assertion results but a failed status.
    if (f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')) {
      failed++;
      failures.push(`${f.name.replace(root + '/', '')}: ${f.message?.split('\n')[0] ?? 'failed to run'}`);
    }
  }
  if (j.numPendingTests + j.numTodoTests > 0) process.stdout.write(`vitest: ${j.numPendingTests + j.numTodoTests} skipped/todo\n`);
} else {
  failed++;
  failures.push(`vitest produced no report (exit ${v.status})`);
}

if (failures.length > 0) {
  process.stdout.write('\nFailed:\n');
  for (const f of failures) process.stdout.write(`  - ${f}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
