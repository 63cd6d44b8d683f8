/**
 * What configuration read from JSON (the MCP servers file, `PLANWRIGHT_PRICES`) may not hold: a key named
 * `__proto__`. JSON.parse keeps it as an ordinary key, but copying it into an object sets that object's prototype
 * instead: the entry (a server, a model's price, a variable) would be dropped without a word.
 */

/** The key JSON may hold but an object built from it cannot. */
const UNUSABLE_KEY = '__proto__';

/**
 * Where a parsed JSON value holds a key named `__proto__`, as a dotted path (`mcpServers.__proto__`), or undefined
 * when it holds none. Walks without recursion, so any depth is fine.
 * @example protoKeyPath(JSON.parse('{"mcpServers": {"__proto__": {}}}')) // 'mcpServers.__proto__'
 */
export function protoKeyPath(value: unknown): string | undefined {
  const pending: Array<[value: unknown, path: string]> = [[value, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [here, path] = next;
    if (typeof here !== 'object' || here === null) continue;
    for (const [key, child] of Object.entries(here)) {
      const at = path ? `${path}.${key}` : key;
      if (key === UNUSABLE_KEY) return at;
      pending.push([child, at]);
    }
  }
  return undefined;
}

/** The sentence that refuses a key named `__proto__` at `path`. */
export function protoKeyProblem(path: string): string {
  return `the key "${UNUSABLE_KEY}" (at ${path}) cannot be used as a name; rename it`;
}
