import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------
// Layer rules. The source tree is layered: src/core is framework-free and knows
// nothing of the adapters around it, src/emulator stands in for Persona and shares
// no code with the client, src/demo uses the package only the way an app would, and
// src/cli works on src/core and src/typeorm without any web framework.
// ---------------------------------------------------------------------------

/** Packages that belong to the framework and storage adapters, never to src/core. */
const FRAMEWORK_PACKAGES = [
  '@nestjs',
  'typeorm',
  'express',
  'fastify',
  'fastify-plugin',
  '@electric-sql/pglite',
  'pg',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
];

/**
 * OpenTelemetry packages src/core may import: the API alone, a no-op until the app installs an SDK.
 * SDKs and exporters are the app's choice, so src/core never imports them.
 */
const OPENTELEMETRY_API = ['@opentelemetry/api'];

/** Files src/demo may import from the rest of src: the package's public entry points (package.json "exports"). */
const PUBLIC_ENTRY_POINTS = [
  'index.js',
  'nestjs/index.js',
  'typeorm/index.js',
  'http/express.js',
  'http/fastify.js',
  'emulator/index.js',
];

/** Regex source matching an import of one of `names` or of a subpath of it (the names hold no regex metacharacters). */
const importOf = (names) => `^(?:${names.join('|')})(?:/|$)`;

/**
 * Regex source matching a relative import that climbs out of a layer's directory from a
 * file `depth` folders below it (`../` from src/core/errors.ts, `../../` from src/core/config/…).
 */
const leavingLayer = (depth) => `^(?:\\.\\./){${depth + 1}}`;

/** Deepest folder level checked exactly; files further down are checked as if at this depth, which errs on the strict side. */
const DEEPEST_CHECKED = 3;

/**
 * `no-restricted-imports` blocks for every file depth below `src/<layer>`. ESLint
 * matches import strings, not resolved paths, so whether `../x.js` leaves the
 * layer depends on where the importing file sits: each depth gets its own block.
 */
function layerRule(layer, patternsAtDepth) {
  return Array.from({ length: DEEPEST_CHECKED + 1 }, (_, depth) => ({
    name: `layers/${layer}/depth-${depth}`,
    files: [`src/${layer}/${'*/'.repeat(depth)}${depth === DEEPEST_CHECKED ? '**/' : ''}*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: patternsAtDepth(depth) }] },
  }));
}

const coreLayer = layerRule('core', (depth) => [
  {
    regex: importOf(FRAMEWORK_PACKAGES),
    message:
      'Layer rule (core): src/core is framework-free: NestJS, TypeORM, database drivers, Express/Fastify ' +
      'and class-validator/class-transformer/reflect-metadata belong in src/nestjs, src/typeorm or src/http.',
  },
  {
    regex: `^@opentelemetry/(?!(?:${OPENTELEMETRY_API.map((name) => name.slice('@opentelemetry/'.length)).join('|')})$)`,
    message:
      'Layer rule (core): src/core records metrics through @opentelemetry/api only; ' +
      'OpenTelemetry SDKs and exporters are installed by the app (see the README\'s "Metrics" section).',
  },
  {
    regex: leavingLayer(depth),
    message:
      'Layer rule (core): src/core is the innermost layer and imports nothing outside src/core; ' +
      'the adapters, the demo and the emulator depend on it, not the other way round.',
  },
]);

const emulatorLayer = layerRule('emulator', (depth) => [
  {
    regex: leavingLayer(depth),
    message:
      'Layer rule (emulator): src/emulator stands in for Persona and imports nothing of the client: ' +
      'only node: builtins, npm packages and files inside src/emulator.',
  },
]);

const demoLayer = layerRule('demo', (depth) => [
  {
    regex: `${leavingLayer(depth)}(?!(?:${PUBLIC_ENTRY_POINTS.join('|').replaceAll('.', '\\.')})$)`,
    message:
      'Layer rule (demo): src/demo uses the package as an app would: import only its public entry points ' +
      `(${PUBLIC_ENTRY_POINTS.map((entry) => `src/${entry}`).join(', ')}) and files inside src/demo.`,
  },
]);

/** The web frameworks and the NestJS module: a command line tool has no use for them. */
const WEB_FRAMEWORK_PACKAGES = ['@nestjs', 'express', 'fastify', 'fastify-plugin'];

const cliLayer = layerRule('cli', (depth) => [
  {
    regex: importOf(WEB_FRAMEWORK_PACKAGES),
    message:
      'Layer rule (cli): src/cli is framework-free: it reads the configuration and the database like the library ' +
      'does, without NestJS, Express or Fastify.',
  },
  {
    regex: `${leavingLayer(depth)}(?:nestjs|http|demo|emulator)(?:/|$)`,
    message:
      'Layer rule (cli): src/cli uses src/core and src/typeorm only; the NestJS module, the HTTP adapters, ' +
      'the demo and the emulator are not part of it.',
  },
]);

/**
 * src/core/protocol is pure encoding and parsing: callers do the I/O and read the
 * clock. The typescript-eslint twin of `no-restricted-imports` is used so these
 * patterns add to the core layer's instead of replacing them (a flat config gives
 * each file one set of options per rule).
 */
const protocolLayer = {
  name: 'layers/core/protocol',
  files: ['src/core/protocol/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `${importOf(['axios'])}|^(?:node:)?(?:fs|http|https|http2|net|tls|dgram|child_process)(?:/|$)`,
            message: 'Layer rule (protocol): src/core/protocol does no network or file I/O; callers pass the bytes in.',
          },
        ],
      },
    ],
    'no-restricted-syntax': [
      'error',
      ...[
        "CallExpression[callee.object.name='Date'][callee.property.name='now']",
        "NewExpression[callee.name='Date'][arguments.length=0]",
      ].map((selector) => ({
        selector,
        message: 'Layer rule (protocol): src/core/protocol reads no clock; take the time as a parameter.',
      })),
    ],
  },
};

export default defineConfig(
  { ignores: ['dist/', 'test-results/', 'test/browser/artifacts/', '.relay-data/', 'test/consumer/fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // The dual build swaps these in for the CommonJS output; they exist to `require` what their ES module twin imports.
    name: 'project/commonjs-twins',
    files: ['src/**/*-cjs.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    name: 'project/plain-js',
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    name: 'project/style',
    rules: {
      // `_`-prefixed parameters are deliberate (e.g. Express needs four arguments to see an error handler),
      // and rest siblings drop fields on purpose; tsc's noUnusedParameters already follows the same convention.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `declare global { namespace Express { … } }` is the only way to augment Express's Request type.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    name: 'project/tests',
    files: ['test/**/*.ts'],
    rules: {
      // Test helpers hand parsed JSON bodies to assertions that probe them freely.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  coreLayer,
  protocolLayer,
  emulatorLayer,
  demoLayer,
  cliLayer,
);
