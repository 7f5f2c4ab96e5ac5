#!/usr/bin/env node
// The `perfpixel` command (package.json "bin"; collector/src/cli/main.ts), run through tsx so the
// TypeScript sources are the program, as every other entry of this repository runs TypeScript in Node.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../collector/src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 'running') process.exitCode = code;
