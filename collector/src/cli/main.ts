/**
 * The `perfpixel` command.
 *
 * ```sh
 * perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]   # check a statement offline
 * ```
 */
import { describeVerdict, verifyStatementFile } from './verify';

const USAGE = 'usage: perfpixel verify <statement.ndjson> [--keys <perfpixel-keys.json>]';

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'verify') {
    const keysAt = rest.indexOf('--keys');
    const keys = keysAt >= 0 ? rest[keysAt + 1] : undefined;
    const file = rest.find((a, i) => !a.startsWith('--') && (keysAt < 0 || i !== keysAt + 1));
    if (!file || (keysAt >= 0 && !keys)) {
      console.error(USAGE);
      return 2;
    }
    const verdict = await verifyStatementFile(file, keys);
    (verdict.ok ? console.log : console.error)(describeVerdict(verdict));
    return verdict.ok ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}
