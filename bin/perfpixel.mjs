#!/usr/bin/env node
// The `perfpixel` command (collector/src/cli/main.ts), run through tsx so the TypeScript sources are the program.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../collector/src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
