import { headerScope } from './auth.js';

/**
 * `-c` settings for git commands on a repository that code we did not write may have touched (a
 * mirror cache after a gate ran). Command-line settings override every config file, and the
 * URL-scoped ones are the most specific for their remote, so neither `http.proxy` nor
 * `http.<url>.proxy` written into a config can redirect the request that carries the token.
 * The repository's own config file is also rewritten after a gate (RepoCache.resetConfig):
 * these settings cover what that cannot, a config file outside the repository.
 */
export const UNTRUSTED_REPO_CONFIG: readonly (readonly [key: string, value: string])[] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['protocol.ext.allow', 'never'],
];

/** The `http.<remote>.*` settings that decide where the request with the token goes. */
export function pinnedTransportConfig(
  remote: string,
  env: Readonly<Record<string, string | undefined>>,
): [key: string, value: string][] {
  if (!/^https?:\/\//i.test(remote)) return [];
  const scope = headerScope(remote);
  const entries: [string, string][] = [
    [`http.${scope}.proxy`, proxyFor(remote, env)],
    [`http.${scope}.followRedirects`, 'initial'],
    [`http.${scope}.cookieFile`, ''],
  ];
  if (!env.GIT_SSL_NO_VERIFY) entries.push([`http.${scope}.sslVerify`, 'true']);
  return entries;
}

/**
 * The proxy curl would take from the environment for this URL ('' for none): a setting of ''
 * would otherwise switch off the runner's own proxy too. curl still applies `no_proxy`.
 */
function proxyFor(url: string, env: Readonly<Record<string, string | undefined>>): string {
  const https = /^https:/i.test(url);
  // curl reads http_proxy in lower case only (HTTP_PROXY is a CGI header name).
  const scheme = https ? (env.https_proxy ?? env.HTTPS_PROXY) : env.http_proxy;
  return scheme || env.all_proxy || env.ALL_PROXY || '';
}
