// Builds the published package into dist/: a clean compile of the sources to JavaScript with type
// declarations (tsconfig.build.json), then the data files the compiled code reads (the demo's tickets).
//
//   npm run build
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// src/demo/support-report.ts finds its workspace at ../../examples/support-report/, in dist/ as in the sources.
cpSync('examples/support-report', 'dist/examples/support-report', { recursive: true });
