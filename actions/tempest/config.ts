import { UserError } from '../lib/errors.js';
import type { SecretRef } from '../lib/secrets.js';

/** The profile's `tempest.config`: what a generated tempest.conf needs. */
export interface TempestConfigSection {
  identity: {
    uri: string;
    region?: string;
    username: string;
    password: SecretRef;
    project: string;
    domain?: string;
    'verify-tls'?: boolean;
    'ca-file'?: string;
  };
  image?: { ref?: string; 'alt-ref'?: string };
  flavor?: { ref?: string; 'alt-ref'?: string };
  network?: { 'public-network-id'?: string; 'floating-network-name'?: string; 'fixed-network-name'?: string };
  services?: Record<string, boolean>;
  extra?: Record<string, Record<string, string | number | boolean>>;
}

export type IniSections = Map<string, Map<string, string>>;

/** Options for tempest.conf from the profile; the password is passed in already resolved. */
export function tempestOptions(config: TempestConfigSection, password: string): IniSections {
  const ini: IniSections = new Map();
  const set = (section: string, key: string, value: string | number | boolean | undefined) => {
    if (value === undefined) return;
    const text = String(value);
    if (/[\r\n]/.test(text))
      throw new UserError(`tempest.conf [${section}] ${key}: a value cannot contain a line break`);
    let options = ini.get(section);
    if (!options) ini.set(section, (options = new Map()));
    // oslo.config expands $name in values; $$ is a literal dollar.
    options.set(key, text.replace(/\$/g, '$$$$'));
  };
  const id = config.identity;
  const domain = id.domain ?? 'Default';
  set('identity', 'auth_version', 'v3');
  set('identity', 'uri_v3', id.uri);
  set('identity', 'region', id.region);
  if (id['verify-tls'] === false) set('identity', 'disable_ssl_certificate_validation', true);
  set('identity', 'ca_certificates_file', id['ca-file']);
  set('auth', 'admin_username', id.username);
  set('auth', 'admin_password', password);
  set('auth', 'admin_project_name', id.project);
  set('auth', 'admin_domain_name', domain);
  set('auth', 'use_dynamic_credentials', true);
  set('compute', 'image_ref', config.image?.ref);
  set('compute', 'image_ref_alt', config.image?.['alt-ref']);
  set('compute', 'flavor_ref', config.flavor?.ref);
  set('compute', 'flavor_ref_alt', config.flavor?.['alt-ref']);
  set('compute', 'fixed_network_name', config.network?.['fixed-network-name']);
  set('network', 'public_network_id', config.network?.['public-network-id']);
  set('network', 'floating_network_name', config.network?.['floating-network-name']);
  for (const [service, available] of Object.entries(config.services ?? {}))
    set('service_available', service, available);
  for (const [section, options] of Object.entries(config.extra ?? {})) {
    for (const [key, value] of Object.entries(options)) set(section, key, value);
  }
  return ini;
}

/**
 * Merges options into the text of a tempest.conf (as `tempest init` wrote it): existing options
 * are replaced in place, new ones appended to their section, new sections added at the end.
 */
export function mergeIni(text: string, options: IniSections): string {
  const pending = new Map([...options].map(([section, values]) => [section, new Map(values)]));
  const out: string[] = [];
  let section: string | undefined;
  const flush = () => {
    const rest = section !== undefined ? pending.get(section) : undefined;
    if (rest) {
      while (out.length && out[out.length - 1].trim() === '') out.pop();
      for (const [key, value] of rest) out.push(`${key} = ${value}`);
      out.push('');
      pending.delete(section!);
    }
  };
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      flush();
      section = header[1];
      out.push(line);
      continue;
    }
    const option = /^\s*([^#;=\s][^=]*?)\s*=/.exec(line);
    const values = section !== undefined ? pending.get(section) : undefined;
    if (option && values?.has(option[1])) {
      out.push(`${option[1]} = ${values.get(option[1])}`);
      values.delete(option[1]);
      continue;
    }
    out.push(line);
  }
  flush();
  for (const [name, values] of pending) {
    if (values.size === 0) continue;
    if (out.length && out[out.length - 1].trim() !== '') out.push('');
    out.push(`[${name}]`, ...[...values].map(([key, value]) => `${key} = ${value}`), '');
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
