import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its starting size for the rest of the process. V8 doubles it
 * (up to 16 MB a semi-space, ~48 MB of RSS) whenever many objects survive a scavenge, as they do
 * while a long stream's per-test results pile up, and never gives it back before the process ends.
 * An action cannot pass `--max-semi-space-size` (`runs.using: node24` takes no Node options) and
 * that flag is read only when the heap is made, but the growth factor is read at each growth.
 * Measured on the tempest report mode (docs/tempest.md): peak RSS 123 → 93 MB at 64 MB of stream,
 * 170 → 111 MB at 128 MB, and no more CPU (more scavenges, each smaller).
 * Such small scavenges (about 1 MB, every few milliseconds) are also done on the main thread alone:
 * handing each to parallel tasks costs more CPU than it saves (the tempest report: ~50 scavenges,
 * about 10% less CPU for the process on Node 24).
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--no-parallel-scavenge');
}
