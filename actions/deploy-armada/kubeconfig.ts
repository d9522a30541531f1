/** The kubeconfig input lives only in a 0600 file in a 0700 directory, removed by the post step. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const KUBECONFIG_STATE = 'kubeconfig-dir';

export function writeKubeconfig(tempDir: string, content: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tempDir, 'deploy-armada-kube-'));
  const file = path.join(dir, 'config');
  writeFileSync(file, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
  return { dir, file };
}

export function removeKubeconfig(dir: string): void {
  if (!dir || !path.basename(dir).startsWith('deploy-armada-kube-')) return;
  rmSync(dir, { recursive: true, force: true });
}
