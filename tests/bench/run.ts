/**
 * `npm run bench`: runs every tests/bench/*.bench.ts (each exports `run()` returning its figures)
 * in its own Node process, one after the other so they do not compete for the two cores, prints
 * the figures and writes them to bench-results/results.json and bench-results/RESULTS.md.
 *
 * `npm run bench -- engine publisher` runs only the named benchmarks. Benchmarks print; they
 * never fail on a figure (no thresholds): the targets are compared in RESULTS.md for humans.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';

const here = import.meta.dirname;
const root = resolve(here, '../..');
const outDir = join(root, 'bench-results');

if (process.argv[2] === '--child') {
  const mod = (await import(process.argv[3]!)) as { run(): Promise<Record<string, number | string>> };
  const figures = await mod.run();
  process.stdout.write(`\n@@FIGURES@@${JSON.stringify(figures)}\n`);
  process.exit(0);
}

const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.ts')))
  .sort((a, b) => (a === 'engine.bench.ts' ? -1 : b === 'engine.bench.ts' ? 1 : a.localeCompare(b)));

if (benches.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(', ')}`);
  process.exit(2);
}

const previous: Record<string, unknown> = existsSync(join(outDir, 'results.json')) ? JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) : {};
const results: Record<string, { figures: Record<string, number | string>; seconds: number; ok: boolean; error?: string }> = {};

for (const f of benches) {
  const name = basename(f, '.bench.ts');
  console.log(`\n=== bench ${name}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', import.meta.filename, '--child', join(here, f)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  const out = r.stdout ?? '';
  const marker = out.lastIndexOf('@@FIGURES@@');
  process.stdout.write(marker >= 0 ? out.slice(0, marker) : out);
  const seconds = (Date.now() - t0) / 1000;
  if (r.status === 0 && marker >= 0) {
    results[name] = { figures: JSON.parse(out.slice(marker + 11).trim()), seconds, ok: true };
  } else {
    results[name] = { figures: {}, seconds, ok: false, error: `exit ${r.status ?? r.signal}` };
    console.log(`bench ${name}: FAILED (${results[name].error})`);
  }
}

mkdirSync(outDir, { recursive: true });
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` };
const merged = { ...(previous as object), ...Object.fromEntries(Object.entries(results)), _meta: { date: new Date().toISOString(), machine } };
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(merged, null, 2)}\n`);

const md: string[] = ['# Benchmark results', '', `Written by \`npm run bench\` on ${new Date().toISOString()} (${machine.cpus} cores, ${machine.cpuModel}, Node ${machine.node}).`, ''];
for (const [name, r] of Object.entries(merged)) {
  if (name === '_meta') continue;
  const res = r as unknown as { figures: Record<string, number | string>; ok: boolean; error?: string };
  md.push(`## ${name}`, '');
  if (!res.ok) md.push(`failed: ${res.error}`, '');
  md.push('| figure | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(res.figures)) md.push(`| ${k} | ${typeof v === 'number' ? v.toLocaleString('en-US') : v} |`);
  md.push('');
}
writeFileSync(join(outDir, 'RESULTS.md'), `${md.join('\n')}\n`);
console.log(`\nbench: figures written to ${join('bench-results', 'results.json')} and RESULTS.md`);
process.exitCode = Object.values(results).every((r) => r.ok) ? 0 : 1;
