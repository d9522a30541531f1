import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionContext } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import { resolveSecret } from '../lib/secrets.js';
import { mergeIni, tempestOptions, type TempestConfigSection } from './config.js';

export type ConfigSource =
  | { kind: 'file'; file: string }
  | { kind: 'profile'; section: TempestConfigSection; profileFile: string }
  | { kind: 'existing' };

/**
 * Puts the tempest.conf in place in the workspace: a given file is copied, a profile's settings are
 * merged into the one `tempest init` wrote. The admin password is masked before it is written, and
 * returned for a generated config (the catalog check logs in with it).
 */
export function writeConfig(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  workspace: string,
  source: ConfigSource,
  adminPassword?: string,
): { file: string; password?: string } {
  const target = path.join(workspace, 'etc', 'tempest.conf');
  mkdirSync(path.dirname(target), { recursive: true });
  if (source.kind === 'file') {
    if (!existsSync(source.file)) throw new UserError(`Input 'config': ${source.file} does not exist`);
    if (path.resolve(source.file) !== path.resolve(target)) copyFileSync(source.file, target);
    return { file: ownerOnly(target) };
  }
  if (source.kind === 'existing') {
    if (!existsSync(target)) throw new UserError(`No tempest configuration: ${target} does not exist`);
    return { file: ownerOnly(target) };
  }
  const password = resolveSecret(
    ctx,
    `${source.profileFile} tempest.config.identity.password`,
    adminPassword,
    source.section.identity.password,
    { required: true },
  )!;
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  writeFileSync(target, mergeIni(current, tempestOptions(source.section, password)), { mode: 0o600 });
  return { file: ownerOnly(target), password };
}

/**
 * tempest.conf holds the admin password, but `tempest init` writes it 0644 (and a write's `mode`
 * applies only to a new file): whatever made it, it ends up readable by its owner only.
 */
function ownerOnly(file: string): string {
  chmodSync(file, 0o600);
  return file;
}
