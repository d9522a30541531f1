import type { Profile } from '../lib/profile/load.js';
import type { TempestConfigSection } from './config.js';
import type { ProfileKnownFailure } from './known-failures.js';

/** The profile's `tempest:` section (validated by profiles/schema/sections/tempest.json). */
export interface TempestSection {
  concurrency?: number;
  timeout?: number | string;
  smoke?: boolean;
  regex?: string;
  'rerun-failed'?: boolean;
  skip?: { regex: string; reason: string }[];
  'known-failures'?: ProfileKnownFailure[];
  config?: TempestConfigSection;
}

export function tempestSection(profile: Profile): TempestSection {
  return profile.section<TempestSection>('tempest') ?? {};
}
