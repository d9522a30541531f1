import type { ActionContext } from '../context.js';
import { isInlineKubeconfig } from './kubeconfig-source.js';

const CREDENTIAL_KEYS =
  /^\s*-?\s*(token|client-key-data|client-certificate-data|password|username|id-token|refresh-token|client-secret|access-token)\s*:\s*["']?([^"'\s]+)["']?\s*$/;

/**
 * Masks a kubeconfig input given as content (a path is not a secret). The runner matches a
 * registered secret within one log line, so the whole text alone would leave a credential printed
 * on its own line unmasked: each credential value is registered on its own too.
 */
export function maskKubeconfig(ctx: Pick<ActionContext, 'setSecret'>, value: string | undefined): void {
  if (!value || !isInlineKubeconfig(value)) return;
  ctx.setSecret(value);
  for (const line of value.split(/\r?\n/)) {
    const match = CREDENTIAL_KEYS.exec(line);
    if (match) ctx.setSecret(match[2]);
  }
}
