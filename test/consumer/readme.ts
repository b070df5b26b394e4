/**
 * The README's install commands and code blocks, read from README.md itself so
 * that what the consumer tests run and what users paste cannot drift apart.
 * Blocks are found by the `<!-- consumer-test: NAME -->` comment right above them.
 */
import { readFileSync } from 'node:fs';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The text right after `<!-- consumer-test: name -->`. */
function afterMarker(name: string): string {
  const marker = `<!-- consumer-test: ${name} -->\n`;
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker.trim()}`);
  return README.slice(at + marker.length);
}

/** The code block marked `name`, without its fences. */
export function readmeBlock(name: string): string {
  const match = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(afterMarker(name));
  if (!match || afterMarker(name).indexOf('```') !== 0) throw new Error(`README.md: no code block right after the "${name}" marker`);
  return match[1]!;
}

/** The command in the install table row whose first cell is `integration`. */
export function readmeInstallCommand(integration: string): string {
  const table = afterMarker('install-table').split('\n\n', 1)[0]!;
  for (const row of table.split('\n')) {
    const cells = row.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, ''));
    if (cells[0] !== integration) continue;
    const command = /^`(npm install [^`]+)`$/.exec(cells[1] ?? '');
    if (!command) throw new Error(`README.md install table: the "${integration}" row holds no single npm install command`);
    return command[1]!;
  }
  throw new Error(`README.md install table has no "${integration}" row`);
}
