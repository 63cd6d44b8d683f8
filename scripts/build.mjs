// Builds the published package into dist/: a clean compile of the sources to JavaScript with type
// declarations (tsconfig.build.json), then the data files the compiled code reads (the demo agents' data).
//
//   npm run build
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// The demo agents find their data at ../../examples/<agent>/ from src/demo/, in dist/ as in the sources; their
// tools modules there are compiled with the rest.
for (const agent of ['support-report', 'getaway', 'research', 'pipeline']) {
  cpSync(`examples/${agent}`, `dist/examples/${agent}`, { recursive: true, filter: (file) => !file.endsWith('.ts') });
}
// The console's browser code is bundled by `planwright serve` when first asked for (src/serve/console.ts), from
// its sources next to the compiled server.
cpSync('src/serve/console/browser', 'dist/src/serve/console/browser', {
  recursive: true,
  filter: (file) => !file.endsWith('tsconfig.json'),
});
