/**
 * Helm charts without the helm binary: `helm dependency update` (file:// dependencies) +
 * `helm package [--version]`, and charts in OCI registries as `helm push`/`helm pull` store them.
 *
 * Where this differs from Helm on purpose (everything else follows Helm's source):
 * - Chart.yaml is packaged as written, only `version` rewritten in place (Helm re-serialises it);
 * - entry mtimes are the Unix epoch and the `created` annotation matches (Helm: now / file mtime),
 *   so the same chart always gives the same .tgz and manifest digests;
 * - subcharts are written in name order (Helm: Go map order, i.e. random);
 * - dependencies from chart repositories are never downloaded: they must be vendored under charts/.
 */
export { HelmMediaTypes } from './media-types.js';
export type { ChartMetadata, ChartDependency } from './chart-yaml.js';
export { isChartVersion, parseChartYaml, setChartYamlVersion } from './chart-yaml.js';
export { HelmIgnore } from './helmignore.js';
export type { ChartPackage, ChartPackageFiles } from './package.js';
export { packageChart, readChartPackage, reversionChart } from './package.js';
export type { PushedChart } from './oci.js';
export {
  CHART_CREATED,
  chartAnnotations,
  chartArtifact,
  chartConfigJson,
  chartRepository,
  chartTag,
  pullChart,
  pushChart,
} from './oci.js';
export { extractChart } from './extract.js';
