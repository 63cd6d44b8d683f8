/**
 * What a namespace needs before planwright runs in it: the namespace itself, and the search attributes runs
 * keep up to date (`PlanwrightStatus`, `PlanwrightReplans`). `planwright setup` registers them on any cluster
 * that lets clients do so, idempotently; where the operator API is closed (Temporal Cloud) it says how to
 * register them with `tcld` or the Cloud UI instead.
 */
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { SEARCH_ATTRIBUTES } from '../contract/search-attributes.js';

/** One gRPC call, as the client's services make it. */
type Call<Request, Response = unknown> = (request: Request) => Promise<Response>;

/** The calls setup makes: a client `Connection` has them; tests pass fakes. */
export interface SetupServices {
  workflowService: {
    describeNamespace: Call<{ namespace: string }>;
    registerNamespace: Call<{ namespace: string; workflowExecutionRetentionPeriod: ReturnType<typeof msToTs> }>;
    countWorkflowExecutions: Call<{ namespace: string; query: string }>;
  };
  operatorService: {
    listSearchAttributes: Call<{ namespace: string }, { customAttributes?: Record<string, unknown> | null }>;
    addSearchAttributes: Call<{ namespace: string; searchAttributes: Record<string, number> }>;
  };
}

/** Retention of closed runs in a namespace setup creates, unless told otherwise. */
export const DEFAULT_RETENTION_DAYS = 3;

/** One search attribute and what setup found or did. */
export interface AttributeSetup {
  name: string;
  /** The type as `tcld` and the Temporal CLI spell it (`Keyword`, `Int`). */
  type: string;
  /** `present`: was registered already; `added`: registered now; `missing`: not registered, and could not be. */
  state: 'present' | 'added' | 'missing';
}

/** What `setup` found and did in one namespace. */
export interface SetupReport {
  namespace: string;
  /** `unchecked`: the server would not describe it (it is assumed to exist). */
  namespaceState: 'exists' | 'created' | 'unchecked';
  retentionDays?: number;
  attributes: AttributeSetup[];
  /** Why the missing attributes could not be registered: the server's refusal. */
  blocked?: string;
}

/** gRPC status codes setup tells apart. */
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12 };
/** Codes that mean "this server does not let this client do that" (Temporal Cloud's operator API). */
const REFUSALS = new Set([GRPC.PERMISSION_DENIED, GRPC.UNIMPLEMENTED, 16 /* UNAUTHENTICATED */]);

const TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** A value of each type for a visibility query that only checks that the attribute exists. */
const PROBE_VALUES: Record<SearchAttributeType, string> = {
  TEXT: "'planwright-probe'",
  KEYWORD: "'planwright-probe'",
  INT: '0',
  DOUBLE: '0',
  BOOL: 'false',
  DATETIME: "'2000-01-01T00:00:00Z'",
  KEYWORD_LIST: "'planwright-probe'",
};

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function detailsOf(err: unknown): string {
  const { details, message } = (err ?? {}) as { details?: unknown; message?: unknown };
  return String(details ?? message ?? err);
}

/** Thrown when a namespace that does not exist cannot be created here; exit code 1. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** Makes sure the namespace exists, creating it when the server lets us. */
async function ensureNamespace(
  services: SetupServices,
  namespace: string,
  retentionDays: number,
): Promise<SetupReport['namespaceState']> {
  try {
    await services.workflowService.describeNamespace({ namespace });
    return 'exists';
  } catch (err) {
    if (REFUSALS.has(codeOf(err) ?? -1)) return 'unchecked';
    if (codeOf(err) !== GRPC.NOT_FOUND) throw err;
  }
  try {
    await services.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
    return 'created';
  } catch (err) {
    if (codeOf(err) === GRPC.ALREADY_EXISTS) return 'exists';
    if (!REFUSALS.has(codeOf(err) ?? -1)) throw err;
    throw new SetupError(
      `namespace "${namespace}" does not exist and this server does not let clients create it (${detailsOf(err)}). ` +
        'Create it first: on Temporal Cloud with `tcld namespace create` or in the Cloud UI.',
      { cause: err },
    );
  }
}

/**
 * Which planwright attributes the namespace has: from the operator API, else (Temporal Cloud) by asking
 * visibility about each, which fails for an attribute the namespace lacks. Undefined: could not tell.
 */
async function registered(services: SetupServices, namespace: string): Promise<Map<string, boolean | undefined>> {
  try {
    const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
    return new Map(SEARCH_ATTRIBUTES.map((key) => [key.name, Object.hasOwn(customAttributes ?? {}, key.name)]));
  } catch {
    const found = new Map<string, boolean | undefined>();
    for (const key of SEARCH_ATTRIBUTES) {
      try {
        await services.workflowService.countWorkflowExecutions({
          namespace,
          query: `${key.name} = ${PROBE_VALUES[key.type]}`,
        });
        found.set(key.name, true);
      } catch (err) {
        found.set(key.name, codeOf(err) === GRPC.INVALID_ARGUMENT ? false : undefined);
      }
    }
    return found;
  }
}

/** Registers one attribute, waiting (up to 30 s) for a namespace created a moment ago to be known everywhere. */
async function add(services: SetupServices, namespace: string, key: (typeof SEARCH_ATTRIBUTES)[number]) {
  const searchAttributes = { [key.name]: encodeSearchAttributeIndexedValueType(key.type)! };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await services.operatorService.addSearchAttributes({ namespace, searchAttributes });
      return;
    } catch (err) {
      if (codeOf(err) !== GRPC.NOT_FOUND || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Creates the namespace if it is missing and registers the search attributes it lacks; safe to run again.
 * @throws {SetupError} when the namespace does not exist and cannot be created here.
 * @example const report = await setupNamespace(client.connection, 'default');
 */
export async function setupNamespace(
  services: SetupServices,
  namespace: string,
  options: { retentionDays?: number } = {},
): Promise<SetupReport> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const namespaceState = await ensureNamespace(services, namespace, retentionDays);
  const found = await registered(services, namespace);
  const attributes: AttributeSetup[] = [];
  let blocked: string | undefined;
  for (const key of SEARCH_ATTRIBUTES) {
    const setup = { name: key.name, type: TYPE_NAMES[key.type] };
    if (found.get(key.name) === true) {
      attributes.push({ ...setup, state: 'present' });
      continue;
    }
    if (blocked !== undefined) {
      attributes.push({ ...setup, state: 'missing' });
      continue;
    }
    try {
      await add(services, namespace, key);
      attributes.push({ ...setup, state: 'added' });
    } catch (err) {
      if (codeOf(err) === GRPC.ALREADY_EXISTS) attributes.push({ ...setup, state: 'present' });
      else if (REFUSALS.has(codeOf(err) ?? -1)) {
        blocked = detailsOf(err);
        attributes.push({ ...setup, state: 'missing' });
      } else throw err;
    }
  }
  return {
    namespace,
    namespaceState,
    ...(namespaceState === 'created' ? { retentionDays } : {}),
    attributes,
    ...(blocked !== undefined ? { blocked } : {}),
  };
}

/** 0 when the namespace has every attribute, 1 when some are missing. */
export function setupExitCode(report: SetupReport): number {
  return report.attributes.some((a) => a.state === 'missing') ? 1 : 0;
}

const listed = (attributes: AttributeSetup[]) => attributes.map((a) => `${a.name} (${a.type})`).join(', ');

/** How to register attributes where clients may not: `tcld` and the Cloud UI. */
export function cloudInstructions(
  namespace: string,
  attributes: ReadonlyArray<{ name: string; type: string }>,
): string {
  const flags = attributes.map((a) => `--sa "${a.name}=${a.type}"`).join(' ');
  return [
    `    tcld namespace search-attributes add -n ${namespace} ${flags}`,
    `or in the Cloud UI: Namespaces → ${namespace} → Edit → Custom Search Attributes.`,
  ].join('\n');
}

/** The report as a few lines for people. */
export function renderSetup(report: SetupReport): string {
  const lines = [
    report.namespaceState === 'created'
      ? `Namespace "${report.namespace}": created (retention ${report.retentionDays} days).`
      : report.namespaceState === 'exists'
        ? `Namespace "${report.namespace}": exists.`
        : `Namespace "${report.namespace}": the server would not describe it; assuming it exists.`,
  ];
  const by = (state: AttributeSetup['state']) => report.attributes.filter((a) => a.state === state);
  const parts = [
    by('present').length > 0 ? `ok, already registered: ${listed(by('present'))}` : '',
    by('added').length > 0 ? `registered ${listed(by('added'))}` : '',
    by('missing').length > 0 ? `missing: ${listed(by('missing'))}` : '',
  ].filter(Boolean);
  lines.push(`Search attributes: ${parts.join('; ')}.`);
  if (by('missing').length > 0) {
    lines.push(
      `This server does not let clients register search attributes (${report.blocked ?? 'refused'}), as on ` +
        'Temporal Cloud. Register them with tcld:',
      cloudInstructions(report.namespace, by('missing')),
      'Runs work without them; with them, runs can be found by status and replans. Then restart the workers.',
    );
  }
  return lines.join('\n');
}

/**
 * What a worker says at start-up about the attributes it found in its namespace, and what to run if some are missing.
 * @example print(searchAttributeNotice(await registeredSearchAttributes(connection, namespace), namespace))
 */
export function searchAttributeNotice(found: readonly string[], namespace: string): string {
  const missing = SEARCH_ATTRIBUTES.filter((key) => !found.includes(key.name));
  if (missing.length === 0) {
    return `Search attributes ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}: registered in namespace "${namespace}".`;
  }
  const names = missing.map((key) => ({ name: key.name, type: TYPE_NAMES[key.type] }));
  return (
    `Search attributes missing in namespace "${namespace}": ${names.map((n) => n.name).join(', ')} ` +
    '(or the server does not list them). Runs go on, but cannot be found by status and replans. ' +
    'Register them with `planwright setup` (on Temporal Cloud: ' +
    `tcld namespace search-attributes add -n ${namespace} ${names.map((n) => `--sa "${n.name}=${n.type}"`).join(' ')}), ` +
    'then restart the worker.'
  );
}
