import type { ActionContext } from './context.js';
import { UserError } from './errors.js';

/** A profile's reference to a secret: `{env: REGISTRY_PASSWORD}`. */
export interface SecretRef {
  env: string;
}

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'object' && value !== null && typeof (value as SecretRef).env === 'string';
}

/**
 * Resolves a secret from (in order) an explicit input value or a profile reference, and masks it
 * before anything can print it. `what` names the setting in errors (`registry.password`).
 */
export function resolveSecret(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  what: string,
  inputValue: string | undefined,
  ref: SecretRef | undefined,
  options: { required?: boolean } = {},
): string | undefined {
  let value = inputValue?.trim() ? inputValue : undefined;
  if (value === undefined && ref) {
    value = ctx.env[ref.env];
    if (value === undefined || value === '') {
      if (options.required)
        throw new UserError(
          `${what}: environment variable ${ref.env} is not set (the profile takes this secret from it)`,
        );
      value = undefined;
    }
  }
  if (value === undefined && options.required)
    throw new UserError(`${what}: a secret is required and none was given`);
  if (value !== undefined) ctx.setSecret(value);
  return value;
}
