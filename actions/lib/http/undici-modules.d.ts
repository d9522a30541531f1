// Declarations for the undici files that undici-parts.ts loads one by one: undici ships types
// only for its index, and these files export what the index re-exports under these names.
declare module 'undici/lib/api/index.js' {
  /** request, stream, pipeline, upgrade and connect, called with a dispatcher as `this`. */
  const api: Record<'request' | 'stream' | 'pipeline' | 'upgrade' | 'connect', unknown>;
  export default api;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import { Dispatcher } from 'undici';
  export default Dispatcher;
}
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  import { EnvHttpProxyAgent } from 'undici';
  export default EnvHttpProxyAgent;
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  import { ProxyAgent } from 'undici';
  export default ProxyAgent;
}
declare module 'undici/lib/interceptor/redirect.js' {
  import { interceptors } from 'undici';
  const createRedirectInterceptor: typeof interceptors.redirect;
  export default createRedirectInterceptor;
}
