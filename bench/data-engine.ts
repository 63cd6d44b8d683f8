/**
 * The data engine of `data_query`: DuckDB against the in-memory implementation it replaced (read, parse
 * into row objects, query in JS), on 100,000 and 1,000,000 rows. Each engine runs in a process of its
 * own; time is per pair of calls (a grouped average and a filtered count), memory is the JS heap the calls
 * grew and the process's peak RSS. Both must give the same answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./data-engine-child.ts', import.meta.url));

interface Side {
  firstMs: number;
  bestMs: number;
  heapMb: number;
  rssPeakMb: number;
  answer: unknown;
}

/** A ticket table of `rows` rows: id, intent, channel, hours (a decimal), csat (some empty). */
function writeTable(file: string, rows: number): void {
  const intents = ['billing', 'login', 'shipping', 'bug', 'upgrade', 'cancel'];
  const channels = ['email', 'chat', 'phone'];
  const lines = ['id,intent,channel,hours,csat'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${i},${intents[i % 6]},${channels[(i % 7) % 3]},${((i * 37) % 971) / 10},${i % 5 === 0 ? '' : (i % 5) + 1}`,
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

function side(engine: 'old' | 'duckdb', file: string, runs: number): Side {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, engine, file, String(runs)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Side;
}

/** old / new, higher is better; a figure under 0.1 (ms or MB) counts as 0.1, so the ratio reads "at least". */
const ratio = (old: number, now: number) => Math.round((old / Math.max(now, 0.1)) * 10) / 10;

/** Runs both engines on both sizes; prints a line per size with the ratios (old / DuckDB: higher is better). */
export function benchDataEngine(runs = 3) {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-bench-data-'));
  try {
    return Object.fromEntries(
      [100_000, 1_000_000].map((rows) => {
        const file = path.join(dir, `tickets-${rows}.csv`);
        writeTable(file, rows);
        const old = side('old', file, runs);
        const duckdb = side('duckdb', file, runs);
        if (JSON.stringify(old.answer) !== JSON.stringify(duckdb.answer)) {
          throw new Error(
            `the engines disagree on ${rows} rows: ${JSON.stringify(old.answer)} vs ${JSON.stringify(duckdb.answer)}`,
          );
        }
        const strip = ({ answer: _answer, ...figures }: Side) => figures;
        return [
          `${rows} rows (${Math.round(statSync(file).size / 1e5) / 10} MB)`,
          {
            old: strip(old),
            duckdb: strip(duckdb),
            ratios: {
              time: ratio(old.bestMs, duckdb.bestMs),
              firstCall: ratio(old.firstMs, duckdb.firstMs),
              heap: ratio(old.heapMb, duckdb.heapMb),
              rssPeak: ratio(old.rssPeakMb, duckdb.rssPeakMb),
            },
          },
        ];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
