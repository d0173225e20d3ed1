// Bundles the CLI into `outdir` (scripts/build.sh gives it a fresh one):
// the entry (src/cli.ts) and every command as ESM modules that share their
// common code through chunks, so a command loads one file and the chunks it
// needs instead of hundreds of small modules (oclif's among them). What
// cannot be bundled stays a package import: ssh2 (optional native crypto
// bindings) and typescript (oclif loads it only for commands in TypeScript).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node scripts/bundle.mjs OUTDIR');

const commands = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? commands(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

await build({
  entryPoints: ['src/cli.ts', ...commands('src/commands')],
  outbase: 'src',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: true,
  external: ['ssh2', 'typescript'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __haforgeRequire } from 'node:module'; const require = __haforgeRequire(import.meta.url);" },
  logLevel: 'warning',
});
