// The image cache: one directory per recipe hash, holding what a VM boots
// from (vmlinuz, initrd.img, base.qcow2). Built on first use only.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../util/fs.js';
import { buildImage } from './image-builder.js';
import { requireRoot } from './preflight.js';
import { cacheRoot } from './paths.js';
import { drbd9Recipe, type Drbd9Source } from './drbd9.js';
import { drbd9RecipeOf, RECIPE, recipeHash, type Recipe } from './recipe.js';

export interface LabImage {
  hash: string;
  dir: string;
  kernel: string;
  initrd: string;
  base: string;
}

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export function imageFor(recipe: Recipe = RECIPE, root = cacheRoot()): LabImage {
  const hash = recipeHash(recipe);
  const dir = path.join(root, 'images', hash);
  return { hash, dir, kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img'), base: path.join(dir, 'base.qcow2') };
}

export async function isCached(image: LabImage): Promise<boolean> {
  // The directory only appears by rename once the build is complete.
  return exists(image.base);
}

/** The image a lab boots: the default one, or with DRBD 9 built from `drbd9` (a recipe of its own). */
export async function ensureImage(report: (msg: string) => void, opts: { rebuild?: boolean; drbd9?: Drbd9Source } = {}): Promise<{ image: LabImage; built: boolean }> {
  const recipe = opts.drbd9 ? drbd9RecipeOf(drbd9Recipe(opts.drbd9)) : RECIPE;
  const image = imageFor(recipe);
  if (!opts.rebuild && (await isCached(image))) return { image, built: false };
  if (opts.rebuild && (await exists(image.dir))) {
    requireRoot('rebuilding the lab image');
    await rm(image.dir, { recursive: true, force: true });
  }
  requireRoot('building the lab image');
  report(`building the lab image ${image.hash} (first use; cached in ${path.dirname(image.dir)})`);
  await buildImage({
    recipe,
    hash: image.hash,
    imagesDir: path.dirname(image.dir),
    mirror: process.env.HAFORGE_LAB_MIRROR || DEFAULT_MIRROR,
    report,
    drbd9Source: opts.drbd9,
  });
  return { image, built: true };
}
