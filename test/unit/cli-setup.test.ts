/**
 * `planwright setup` against fake services: idempotent, creates a missing namespace, and on a server that
 * does not let clients register search attributes (Temporal Cloud) says how to register them instead.
 */
import { describe, expect, it } from 'vitest';
import {
  renderSetup,
  searchAttributeNotice,
  setupExitCode,
  setupNamespace,
  type SetupServices,
} from '../../src/temporal/setup.js';

/** A gRPC error as @grpc/grpc-js hands it over. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

/** A fake server holding namespaces and their custom search attributes. */
function fakeServer(options: { namespaces?: Record<string, Record<string, number>>; operator?: 'full' | 'cloud' }) {
  const namespaces = options.namespaces ?? { default: {} };
  const calls: string[] = [];
  const cloud = options.operator === 'cloud';
  const services: SetupServices = {
    workflowService: {
      describeNamespace: async ({ namespace }) => {
        calls.push(`describeNamespace ${namespace}`);
        if (!namespaces[namespace]) throw grpcError(5, `Namespace ${namespace} is not found.`);
        return {};
      },
      registerNamespace: async ({ namespace }) => {
        calls.push(`registerNamespace ${namespace}`);
        if (cloud) throw grpcError(7, 'Request unauthorized.');
        namespaces[namespace] = {};
        return {};
      },
      countWorkflowExecutions: async ({ namespace, query }) => {
        const name = /^(\w+) =/.exec(query)?.[1] ?? '';
        if (!Object.hasOwn(namespaces[namespace] ?? {}, name)) {
          throw grpcError(3, `Namespace ${namespace} has no mapping defined for search attribute ${name}`);
        }
        return { count: 0 };
      },
    },
    operatorService: {
      listSearchAttributes: async ({ namespace }) => {
        if (cloud) throw grpcError(7, 'Request unauthorized.');
        return { customAttributes: { ...namespaces[namespace] } };
      },
      addSearchAttributes: async ({ namespace, searchAttributes }) => {
        calls.push(`addSearchAttributes ${Object.keys(searchAttributes).join(',')}`);
        if (cloud) throw grpcError(7, 'Request unauthorized.');
        Object.assign(namespaces[namespace]!, searchAttributes);
        return {};
      },
    },
  };
  return { services, calls, namespaces };
}

describe('setupNamespace', () => {
  it('registers what is missing, then finds everything already registered', async () => {
    const server = fakeServer({ namespaces: { default: { PlanwrightStatus: 2 } } });
    const first = await setupNamespace(server.services, 'default');
    expect(first.attributes).toEqual([
      { name: 'PlanwrightStatus', type: 'Keyword', state: 'present' },
      { name: 'PlanwrightReplans', type: 'Int', state: 'added' },
    ]);
    expect(server.namespaces.default).toEqual({ PlanwrightStatus: 2, PlanwrightReplans: 3 });
    expect(setupExitCode(first)).toBe(0);

    const second = await setupNamespace(server.services, 'default');
    expect(second.attributes.map((a) => a.state)).toEqual(['present', 'present']);
    expect(server.calls.filter((c) => c.startsWith('addSearchAttributes'))).toEqual([
      'addSearchAttributes PlanwrightReplans',
    ]);
    expect(renderSetup(second)).toContain(
      'Search attributes: ok, already registered: PlanwrightStatus (Keyword), PlanwrightReplans (Int)',
    );
  });

  it('creates a namespace that does not exist, with the retention asked for', async () => {
    const server = fakeServer({ namespaces: { default: {} } });
    const report = await setupNamespace(server.services, 'agents', { retentionDays: 7 });
    expect(report.namespaceState).toBe('created');
    expect(server.calls).toContain('registerNamespace agents');
    expect(server.namespaces.agents).toEqual({ PlanwrightStatus: 2, PlanwrightReplans: 3 });
    expect(renderSetup(report)).toContain('Namespace "agents": created (retention 7 days)');
  });

  it('on Temporal Cloud, finds registered attributes through visibility and prints tcld for the others', async () => {
    const server = fakeServer({ namespaces: { 'ns.acct': { PlanwrightStatus: 2 } }, operator: 'cloud' });
    const report = await setupNamespace(server.services, 'ns.acct');
    expect(report.attributes).toEqual([
      { name: 'PlanwrightStatus', type: 'Keyword', state: 'present' },
      { name: 'PlanwrightReplans', type: 'Int', state: 'missing' },
    ]);
    expect(setupExitCode(report)).toBe(1);
    const text = renderSetup(report);
    expect(text).toContain('tcld namespace search-attributes add -n ns.acct --sa "PlanwrightReplans=Int"');
    expect(text).toContain('Cloud UI');
    expect(text).toContain('Request unauthorized');
  });
});

describe('searchAttributeNotice', () => {
  it('says which attributes the worker found, and what to run when some are missing', () => {
    expect(searchAttributeNotice(['PlanwrightStatus', 'PlanwrightReplans'], 'default')).toBe(
      'Search attributes PlanwrightStatus, PlanwrightReplans: registered in namespace "default".',
    );
    const missing = searchAttributeNotice(['PlanwrightStatus'], 'agents');
    expect(missing).toContain('missing in namespace "agents": PlanwrightReplans');
    expect(missing).toContain('planwright setup');
    expect(missing).toContain('restart the worker');
  });
});
