#!/usr/bin/env node
// The planwright command. Installed from the package, it runs the compiled JavaScript in dist/; in a clone
// (where the TypeScript sources are), it runs them through tsx, so no build is needed while developing.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const fromSource = existsSync(source);
// tsx also loads a TypeScript tools module (PLANWRIGHT_TOOLS=./my-tools.ts) for the installed command.
if (fromSource || /\.[cm]?tsx?$/.test(process.env.PLANWRIGHT_TOOLS ?? '')) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main, reportError } = await import(fromSource ? source.href : '../dist/src/cli/main.js');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = reportError(err);
}
