#!/usr/bin/env node
// dist/cli.js is oclif, bundled with the commands (npm run build); NODE_OPTIONS=--enable-source-maps maps stack traces to src/.
import { execute } from '../dist/cli.js';

await execute({ dir: import.meta.url });
