// The image cache: one directory per recipe hash, holding what a VM boots
// from (vmlinuz, initrd.img, base.qcow2). Built on first use only.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../util/fs.js';
import { buildImage } from './image-builder.js';
import { requireRoot } from './preflight.js';
import { cacheRoot } from './paths.js';
import { RECIPE, recipeHash, type Recipe } from './recipe.js';

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

export async function ensureImage(report: (msg: string) => void, opts: { rebuild?: boolean } = {}): Promise<{ image: LabImage; built: boolean }> {
  const image = imageFor();
  if (!opts.rebuild && (await isCached(image))) return { image, built: false };
  if (opts.rebuild && (await exists(image.dir))) {
    requireRoot('rebuilding the lab image');
    await rm(image.dir, { recursive: true, force: true });
  }
  requireRoot('building the lab image');
  report(`building the lab image ${image.hash} (first use; cached in ${path.dirname(image.dir)})`);
  await buildImage({
    recipe: RECIPE,
    hash: image.hash,
    imagesDir: path.dirname(image.dir),
    mirror: process.env.HAFORGE_LAB_MIRROR || DEFAULT_MIRROR,
    report,
  });
  return { image, built: true };
}
