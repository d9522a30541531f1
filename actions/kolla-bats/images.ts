import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../lib/errors.js';
import { isValidRepositoryComponent } from './registry.js';

/** The images of a dockerfile-mode context: every folder that holds a Dockerfile. */
export function discoverDockerfileImages(context: string): string[] {
  return readdirSync(context, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(context, entry.name, 'Dockerfile')))
    .map((entry) => entry.name)
    .sort();
}

/** The requested images (all when none are named), each checked to exist and to be a valid name. */
export function selectDockerfileImages(
  context: string,
  requested: readonly string[],
  what: string,
): string[] {
  const available = discoverDockerfileImages(context);
  const selected = requested.length ? [...new Set(requested)] : available;
  const unknown = selected.filter((name) => !available.includes(name));
  if (unknown.length) {
    throw new UserError(
      `${what}: unknown image${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}: ` +
        `no ${path.join(context, unknown[0], 'Dockerfile')}. Images in ${context}: ${available.join(', ') || '(none)'}`,
    );
  }
  if (selected.length === 0)
    throw new UserError(`${what}: no images to build: ${context} has no <image>/Dockerfile`);
  const invalid = selected.filter((name) => !isValidRepositoryComponent(name));
  if (invalid.length) {
    throw new UserError(
      `${what}: ${invalid.map((n) => JSON.stringify(n)).join(', ')} cannot be an image name (lower-case letters, digits and . _ - separators)`,
    );
  }
  return selected;
}
