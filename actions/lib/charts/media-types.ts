/** Media types Helm uses for charts stored in OCI registries (helm.sh/docs/topics/registries). */
export const HelmMediaTypes = {
  config: 'application/vnd.cncf.helm.config.v1+json',
  content: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  provenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
} as const;
