/**
 * The one loopback rule: `localhost`, `127.0.0.0/8` and `::1`, with or without a port and IPv6
 * brackets (`localhost:5000`, `127.0.0.1`, `[::1]:5000`, `::1`). Loopback hosts may be reached over
 * plain HTTP (a local registry, git server or chart repository); anything else needs HTTPS unless
 * the profile declares it insecure.
 */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host.trim().toLowerCase());
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** `host[:port]` without the port, and an IPv6 address without its brackets. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1];
  // A bare IPv6 address has several colons and no port.
  if ((host.match(/:/g) ?? []).length > 1) return host;
  return host.replace(/:\d+$/, '');
}
