// @ts-check
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'url'];

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'Workflow code must be deterministic: do I/O in an activity.' },
            {
              group: ['openai', '@temporalio/activity', '@temporalio/worker', '@temporalio/client', '../activities/*'],
              allowTypeImports: true,
              message: 'Workflows import activities and side-effecting modules as types only.',
            },
          ],
        },
      ],
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
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },
  {
    // Changes are guarded through follows() (workflows/patches.ts), so a run records one marker per release.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/patches.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='patched']",
          message: 'Guard a change with follows() from workflows/patches.ts, not patched().',
        },
      ],
    },
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
