// @ts-check
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'url'];

/** What deterministic code (workflows and the pure modules they import) may not import. */
const deterministic = [
  { group: nodeBuiltins, message: 'Workflow code must be deterministic: do I/O in an activity.' },
  {
    group: ['openai', '@temporalio/activity', '@temporalio/worker', '@temporalio/client', '../activities/*'],
    allowTypeImports: true,
    message: 'Workflows import activities and side-effecting modules as types only.',
  },
];

const noPatched = {
  selector: "CallExpression[callee.name='patched']",
  message: 'Guard a change with follows() from workflows/patches.ts, not patched().',
};

/** Writes into an object that is not this one: a run's state changes only through RunLedger's transitions. */
const oneWriter = [
  "AssignmentExpression[left.type='MemberExpression'][left.object.type!='ThisExpression']",
  "UpdateExpression[argument.type='MemberExpression']",
  "UnaryExpression[operator='delete']",
  "CallExpression[callee.object.name='Object'][callee.property.name='assign']",
  "CallExpression[callee.object.type='MemberExpression'][callee.property.name=/^(push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin)$/]",
].map((selector) => ({
  selector,
  message: "Change a run's state through a transition of RunLedger (src/run/ledger.ts), not by writing into it.",
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'test/histories/**', '.planwright/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Workflow code, and the pure modules it imports, is replayed: no I/O, no randomness, no side effects.
    files: ['workflows/**/*.ts', 'src/contract/**/*.ts', 'src/plan/**/*.ts', 'src/run/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: deterministic }],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
        { name: 'fetch', message: 'Do I/O in an activity.' },
        { name: 'process', message: 'Workflow code must not read the environment.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or a deterministic source.' },
      ],
    },
  },
  {
    // The workflow reads as wiring over small phases: no function in workflows/ grows past one screen.
    files: ['workflows/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60 }] },
  },
  {
    // Changes are guarded through follows() (workflows/patches.ts), so a run records one marker per release; and a
    // run's state has one writer, the transitions of RunLedger (src/run/ledger.ts): phases and decisions read it.
    files: ['workflows/**/*.ts', 'src/run/**/*.ts'],
    // patches.ts calls patched(); the ledger and state.ts's pure updates are the writer; current-details.ts keeps
    // a renderer of its own, not run state.
    ignores: ['workflows/patches.ts', 'workflows/current-details.ts', 'src/run/ledger.ts', 'src/run/state.ts'],
    rules: {
      'no-restricted-syntax': ['error', noPatched, ...oneWriter],
      'no-restricted-imports': [
        'error',
        {
          patterns: deterministic,
          paths: [
            {
              name: '../src/run/state.js',
              importNames: ['adoptPlan', 'recordEvent', 'cancelUnfinished'],
              message: "Change a run's state through a transition of RunLedger (src/run/ledger.ts).",
            },
          ],
        },
      ],
    },
  },
  {
    // Files stay small enough to read in one sitting.
    files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['workflows/plan-and-execute.ts'],
    rules: { 'max-lines': ['error', { max: 150 }] },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
