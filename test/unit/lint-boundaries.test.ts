import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// Lints snippets as if they sat at a path inside a layer, with the project's own eslint.config.js.
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });
});

/** Every problem ESLint reports for `code` placed at `filePath`, as `rule: message`. */
async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

/** Lints `import '<specifier>';` at `filePath`. */
const importing = (filePath: string, specifier: string) => problems(filePath, `import '${specifier}';\n`);

describe('layer rule: src/core imports no framework, no TypeORM and nothing outside src/core', () => {
  it.each([
    '@nestjs/common',
    '@nestjs/core',
    'typeorm',
    'typeorm/browser',
    'express',
    'fastify',
    'fastify-plugin',
    '@electric-sql/pglite',
    'pg',
    'class-validator',
    'class-transformer',
    'reflect-metadata',
  ])('reports an import of %s', async (specifier) => {
    expect(await importing('src/core/services/example.ts', specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(core\): src\/core is framework-free/),
    ]);
  });

  it('reports a type-only import of a framework too', async () => {
    const found = await problems('src/core/storage/example.ts', "import type { Repository } from 'typeorm';\nexport type Rows = Repository<object>;\n");
    expect(found).toEqual([expect.stringContaining('Layer rule (core)')]);
  });

  it.each(['@opentelemetry/sdk-metrics', '@opentelemetry/exporter-prometheus', '@opentelemetry/api-logs', '@opentelemetry/api/build/src/index.js'])(
    'reports an import of %s (src/core records through @opentelemetry/api alone)',
    async (specifier) => {
      expect(await importing('src/core/observability/example.ts', specifier)).toEqual([
        expect.stringMatching(/^no-restricted-imports: .*Layer rule \(core\): src\/core records metrics through @opentelemetry\/api only/),
      ]);
    },
  );

  it.each([
    ['src/core/errors.ts', '../nestjs/index.js'],
    ['src/core/errors.ts', '../index.js'],
    ['src/core/config/example.ts', '../../typeorm/index.js'],
    ['src/core/services/example.ts', '../../http/node.js'],
    ['src/core/persona/example.ts', '../../demo/settings.js'],
    ['src/core/persona/example.ts', '../../emulator/index.js'],
    ['src/core/crypto/blind-rsa/example.ts', '../../../http/express.js'],
    ['src/core/a/b/c/d/example.ts', '../../../../../../nestjs/index.js'],
  ])('reports %s importing %s (leaves src/core)', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(core\): src\/core is the innermost layer/),
    ]);
  });

  it.each([
    ['src/core/services/example.ts', '../protocol/index.js'],
    ['src/core/services/example.ts', '../errors.js'],
    ['src/core/crypto/blind-rsa/example.ts', '../../errors.js'],
    ['src/core/crypto/blind-rsa/example.ts', './randomness.js'],
    ['src/core/persona/example.ts', 'axios'],
    ['src/core/persona/example.ts', 'node:http'],
    ['src/core/observability/example.ts', '@opentelemetry/api'],
    ['src/core/services/example.ts', 'pg-format'],
    ['src/core/services/example.ts', 'expressive'],
  ])('accepts %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([]);
  });
});

describe('layer rule: src/core/protocol does no I/O and reads no clock', () => {
  it.each(['axios', 'node:fs', 'fs', 'node:fs/promises', 'node:http', 'node:https', 'node:net', 'node:child_process'])(
    'reports an import of %s',
    async (specifier) => {
      expect(await importing('src/core/protocol/example.ts', specifier)).toEqual([
        expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: .*Layer rule \(protocol\)/),
      ]);
    },
  );

  it('keeps the core rule in force next to its own', async () => {
    expect(await importing('src/core/protocol/example.ts', '@nestjs/common')).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(core\)/),
    ]);
  });

  it.each(['export const now = Date.now();\n', 'export const now = new Date();\n'])('reports reading the clock: %s', async (code) => {
    expect(await problems('src/core/protocol/example.ts', code)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: Layer rule \(protocol\): src\/core\/protocol reads no clock/),
    ]);
  });

  it('accepts dates built from given values, and node:crypto', async () => {
    const code = "import 'node:crypto';\nexport const parse = (text: string, ms: number) => [new Date(text), new Date(ms)];\n";
    expect(await problems('src/core/protocol/example.ts', code)).toEqual([]);
  });

  it('lets the rest of src/core read the clock', async () => {
    expect(await problems('src/core/services/example.ts', 'export const now = Date.now();\n')).toEqual([]);
  });
});

describe('layer rule: src/emulator imports nothing of the client', () => {
  it.each([
    ['src/emulator/example.ts', '../core/errors.js'],
    ['src/emulator/example.ts', '../index.js'],
    ['src/emulator/example.ts', '../http/node.js'],
    ['src/emulator/handlers/example.ts', '../../core/protocol/index.js'],
    ['src/emulator/widget/example.ts', '../../index.js'],
  ])('reports %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(emulator\)/),
    ]);
  });

  it.each([
    ['src/emulator/example.ts', './state.js'],
    ['src/emulator/handlers/example.ts', '../context.js'],
    ['src/emulator/handlers/example.ts', './common.js'],
    ['src/emulator/example.ts', 'node:http'],
    ['src/emulator/example.ts', '@cloudflare/blindrsa-ts'],
  ])('accepts %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([]);
  });
});

describe('layer rule: src/demo imports only public entry points of the package', () => {
  it.each([
    ['src/demo/example.ts', '../core/errors.js'],
    ['src/demo/example.ts', '../http/node.js'],
    ['src/demo/example.ts', '../nestjs/relay.controller.js'],
    ['src/demo/example.ts', '../typeorm/entities/index.js'],
    ['src/demo/example.ts', '../emulator/server.js'],
    ['src/demo/example.ts', '../nestjs/index.jsx'],
    ['src/demo/page/example.ts', '../../core/services/relay-services.js'],
    ['src/demo/page/example.ts', '../../nestjs/guards/index.js'],
  ])('reports %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(demo\)/),
    ]);
  });

  it.each([
    ['src/demo/example.ts', '../index.js'],
    ['src/demo/example.ts', '../nestjs/index.js'],
    ['src/demo/example.ts', '../typeorm/index.js'],
    ['src/demo/example.ts', '../http/express.js'],
    ['src/demo/example.ts', '../http/fastify.js'],
    ['src/demo/example.ts', '../emulator/index.js'],
    ['src/demo/example.ts', './settings.js'],
    ['src/demo/example.ts', '@nestjs/common'],
    ['src/demo/page/example.ts', '../../index.js'],
    ['src/demo/page/example.ts', '../settings.js'],
    ['src/demo/page/example.ts', './html.js'],
  ])('accepts %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([]);
  });
});

describe('layer rule: src/cli works on src/core and src/typeorm without a web framework', () => {
  it.each(['@nestjs/common', 'express', 'fastify', 'fastify-plugin'])('reports an import of %s', async (specifier) => {
    expect(await importing('src/cli/example.ts', specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(cli\): src\/cli is framework-free/),
    ]);
  });

  it.each([
    ['src/cli/example.ts', '../nestjs/index.js'],
    ['src/cli/example.ts', '../http/node.js'],
    ['src/cli/example.ts', '../emulator/index.js'],
    ['src/cli/commands/example.ts', '../../demo/settings.js'],
  ])('reports %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer rule \(cli\): src\/cli uses src\/core and src\/typeorm only/),
    ]);
  });

  it.each([
    ['src/cli/example.ts', '../core/config/index.js'],
    ['src/cli/example.ts', '../typeorm/embedded/data-dir-claims.js'],
    ['src/cli/commands/example.ts', '../../typeorm/index.js'],
    ['src/cli/commands/example.ts', '../database.js'],
    ['src/cli/example.ts', 'typeorm'],
    ['src/cli/example.ts', 'node:util'],
  ])('accepts %s importing %s', async (filePath, specifier) => {
    expect(await importing(filePath, specifier)).toEqual([]);
  });
});

describe('outside the layered directories', () => {
  it('lets the adapters import the core and their frameworks', async () => {
    const code = "import '@nestjs/common';\nimport 'typeorm';\nimport '../core/errors.js';\n";
    expect(await problems('src/nestjs/example.ts', code)).toEqual([]);
  });
});
