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
