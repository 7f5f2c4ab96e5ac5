#!/usr/bin/env node
// The `perfpixel` command (package.json "bin"): runs collector/src/bin/perfpixel.ts through tsx,
// as every other entry of this repository runs TypeScript in Node.
import { register } from 'tsx/esm/api';

register();
await import('../collector/src/bin/perfpixel.ts');
