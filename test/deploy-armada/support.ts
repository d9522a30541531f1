import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

export function tempDir(prefix = 'deploy-armada-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface ChartSpec {
  name: string;
  namespace?: string;
  data?: Record<string, unknown>;
}

/** An armada/Chart/v1 document as OpenStack-Helm writes them. */
export function chartDoc(spec: ChartSpec): string {
  const data = {
    chart_name: spec.name,
    release: spec.name,
    namespace: spec.namespace ?? 'openstack',
    wait: { timeout: 60, labels: { release_group: `osh-${spec.name}` } },
    install: { no_hooks: false },
    upgrade: { no_hooks: false },
    values: {},
    source: { type: 'local', location: '/srv/osh', subpath: spec.name, reference: 'master' },
    dependencies: ['helm-toolkit'],
    ...spec.data,
  };
  return `---\n${stringify({ schema: 'armada/Chart/v1', metadata: { schema: 'metadata/Document/v1', name: spec.name }, data })}`;
}

export function groupDoc(name: string, charts: string[], sequenced: boolean): string {
  return `---\n${stringify({ schema: 'armada/ChartGroup/v1', metadata: { schema: 'metadata/Document/v1', name }, data: { description: name, sequenced, chart_group: charts } })}`;
}

export function manifestDoc(name: string, groups: string[], prefix = 'osh'): string {
  return `---\n${stringify({ schema: 'armada/Manifest/v1', metadata: { schema: 'metadata/Document/v1', name }, data: { release_prefix: prefix, chart_groups: groups } })}`;
}

export const HELM_TOOLKIT = chartDoc({
  name: 'helm-toolkit',
  namespace: 'helm-toolkit',
  data: {
    wait: undefined,
    install: undefined,
    upgrade: undefined,
    dependencies: [],
    source: { type: 'local', location: '/srv/osh-infra', subpath: 'helm-toolkit' },
  },
});
