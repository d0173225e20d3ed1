// The CLI's entry, bundled with the commands (scripts/bundle.mjs) so that
// bin/run.js and every command share one copy of oclif.
export { execute } from '@oclif/core';
