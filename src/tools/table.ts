/**
 * Reading tabular data (CSV with a header row, or JSON arrays of objects) into rows.
 */
export type Cell = string | number | boolean | null;
/** One row: column name to value. Numeric CSV cells become numbers. */
export type Row = Record<string, Cell>;

/**
 * Parses RFC 4180 CSV with a header row. Quoted fields may hold commas, quotes ("") and newlines.
 * @throws {Error} on an unterminated quote or a row whose width differs from the header's.
 */
export function parseCsv(text: string): Row[] {
  const [header, ...body] = parseCsvRecords(text);
  if (!header) return [];
  return body.map((cells, index) => {
    if (cells.length !== header.length) {
      throw new Error(`row ${index + 2} has ${cells.length} fields; the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((name, col) => [name, toCell(cells[col] ?? '')]));
  });
}

/**
 * Splits CSV text into records of fields, as written (no numbers made, blank lines left out), with the given
 * delimiter (`;` for the CSV of many European spreadsheets). Quoted fields may hold delimiters, quotes ("")
 * and newlines.
 * @throws {Error} on an unterminated quote.
 */
export function parseCsvRecords(text: string, delimiter = ','): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field at the end of the file');
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function toCell(raw: string): Cell {
  if (raw === '') return null;
  return NUMBER.test(raw.trim()) ? Number(raw) : raw;
}

/**
 * Reads rows from JSON: an array of objects, or an object with a `rows` array.
 * @throws {Error} when the JSON has another shape.
 */
export function parseJsonRows(text: string): Row[] {
  const data: unknown = JSON.parse(text);
  const rows = Array.isArray(data) ? data : (data as { rows?: unknown })?.rows;
  if (!Array.isArray(rows) || !rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    throw new Error('expected a JSON array of objects, or an object with a "rows" array of objects');
  }
  return rows as Row[];
}
