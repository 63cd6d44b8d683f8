/**
 * Configuration read from JSON refuses a key named `__proto__`, wherever it is, with a message naming where:
 * copied into an object, such a key sets the object's prototype, and the entry it names (an MCP server, one of its
 * variables, a model's price) was dropped without a word.
 */
import { describe, expect, it } from 'vitest';
import { protoKeyPath } from '../../src/json-config.js';
import { DEFAULT_PRICES, priceOf, priceTableFromEnv } from '../../src/llm/prices.js';
import { parseMcpConfig } from '../../src/mcp/config.js';

/** The configuration `{"mcpServers": {<name>: <server>}}` as text: `__proto__` stays a key (JSON.stringify would not). */
const mcpConfig = (name: string, server: string) => `{"mcpServers": {${JSON.stringify(name)}: ${server}}}`;

describe('the MCP configuration', () => {
  it('refuses a server named "__proto__" instead of dropping it', () => {
    expect(() => parseMcpConfig(mcpConfig('__proto__', '{"command": "npx"}'), 'mcp.json')).toThrow(
      'mcp.json: the key "__proto__" (at mcpServers.__proto__) cannot be used as a name; rename it',
    );
  });

  it('refuses a "__proto__" key inside a server (a variable, a header)', () => {
    const env = mcpConfig('fs', '{"command": "npx", "env": {"__proto__": "1", "DEBUG": "1"}}');
    expect(() => parseMcpConfig(env, 'mcp.json')).toThrow('(at mcpServers.fs.env.__proto__)');
    const headers = mcpConfig('remote', '{"url": "https://mcp.example.com", "headers": {"__proto__": {}}}');
    expect(() => parseMcpConfig(headers, 'mcp.json')).toThrow('(at mcpServers.remote.headers.__proto__)');
  });

  it('takes servers named like other members of Object.prototype', () => {
    const config = `{"mcpServers": {"constructor": {"command": "a"}, "toString": {"command": "b"}}}`;
    expect(parseMcpConfig(config, 'mcp.json').map((s) => s.name)).toEqual(['constructor', 'toString']);
  });
});

describe('PLANWRIGHT_PRICES', () => {
  it('refuses a model named "__proto__" instead of dropping it', () => {
    expect(() => priceTableFromEnv({ PLANWRIGHT_PRICES: '{"__proto__": {"input": 1, "output": 2}}' })).toThrow(
      'PLANWRIGHT_PRICES: the key "__proto__" (at __proto__) cannot be used as a name; rename it',
    );
  });

  it('has no price for a model named like a member of Object.prototype, unless given one', () => {
    for (const table of [
      DEFAULT_PRICES,
      priceTableFromEnv({ PLANWRIGHT_PRICES: '{"m": {"input": 1, "output": 2}}' }),
    ]) {
      expect(priceOf('constructor', table)).toBeUndefined();
      expect(priceOf('toString', table)).toBeUndefined();
      expect(priceOf('m', table) ?? priceOf('gpt-4o', table)).toBeDefined();
    }
    const own = priceTableFromEnv({ PLANWRIGHT_PRICES: '{"constructor": {"input": 1, "output": 2}}' });
    expect(priceOf('constructor', own)).toEqual({ input: 1, output: 2 });
  });
});

describe('protoKeyPath', () => {
  it('finds a "__proto__" key at any depth, in objects and arrays, and nothing elsewhere', () => {
    expect(protoKeyPath(JSON.parse('{"a": [{"b": {"__proto__": 1}}]}'))).toBe('a.0.b.__proto__');
    expect(protoKeyPath(JSON.parse(`${'{"a":'.repeat(20_000)}{"__proto__":1}${'}'.repeat(20_000)}`))).toMatch(
      /^(a\.){20000}__proto__$/,
    );
    expect(protoKeyPath({ a: { proto: 1, constructor: 2 } })).toBeUndefined();
    expect(protoKeyPath('text')).toBeUndefined();
  });
});
