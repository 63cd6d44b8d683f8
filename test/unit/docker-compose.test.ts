/**
 * docker-compose.yml runs what `npm run test:cluster` tests: the same server release, the same environment
 * (deploy/temporal.env) and the same dynamic config, whose settings are the ones the embedded dev server gets.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPORAL_SERVER_VERSION } from '../../src/provision/temporal-server.js';
import { FAST_DEV_SERVER_CONFIG } from '../../src/temporal/local-server.js';
import { COMPOSE_ENV_FILE, DYNAMIC_CONFIG_FILE, readEnvFile } from '../cluster/support/server.js';

const compose = readFileSync('docker-compose.yml', 'utf8');

/** The lines of one service of docker-compose.yml (the services are two-space indented). */
function service(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`docker-compose.yml has no service ${name}`);
  const rest = compose.slice(start + name.length + 5);
  const end = rest.search(/\n {2}\S|\n\S/);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('docker-compose.yml and the cluster suite', () => {
  const temporal = service('temporal');

  it('runs the server release the suite builds', () => {
    expect(temporal).toMatch(new RegExp(`image: temporalio/auto-setup:${TEMPORAL_SERVER_VERSION.slice(1)}\\n`));
  });

  it('gives the server the environment file the suite uses, and nothing else', () => {
    expect(temporal).toContain(`env_file: ./${path.relative('.', COMPOSE_ENV_FILE)}\n`);
    expect(temporal).not.toMatch(/\n {4}environment:/);
    expect(readEnvFile(COMPOSE_ENV_FILE)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it('mounts the dynamic config the suite starts the server with', () => {
    const dir = path.relative('.', path.dirname(DYNAMIC_CONFIG_FILE));
    expect(temporal).toContain(`- ./${dir}:/etc/temporal/config/dynamicconfig\n`);
    // The image's working directory is /etc/temporal.
    expect(readEnvFile(COMPOSE_ENV_FILE).DYNAMIC_CONFIG_FILE_PATH).toBe(
      `config/dynamicconfig/${path.basename(DYNAMIC_CONFIG_FILE)}`,
    );
    expect(existsSync(DYNAMIC_CONFIG_FILE)).toBe(true);
  });

  it("sets the dynamic config keys the embedded dev server gets (planwright's fast-step settings)", () => {
    const keys = readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')
      .split('\n')
      .filter((line) => /^[a-zA-Z][\w.]*:$/.test(line))
      .map((line) => line.slice(0, -1));
    expect(keys.sort()).toEqual(Object.keys(FAST_DEV_SERVER_CONFIG).sort());
  });

  it('gives the database the user and password of the server environment', () => {
    const env = readEnvFile(COMPOSE_ENV_FILE);
    const postgres = service('postgresql');
    expect(postgres).toContain(`POSTGRES_USER: ${env.POSTGRES_USER}\n`);
    expect(postgres).toContain(`POSTGRES_PASSWORD: ${env.POSTGRES_PWD}\n`);
  });
});
