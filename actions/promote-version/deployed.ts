/**
 * What a nightly deployed, as deploy-armada's `release` output states it: the release artifact by
 * digest and its bill of materials. record-nightly records exactly this, never a tag looked up again.
 */
import { UserError } from '../lib/errors.js';
import type { HistoryChart, HistoryImage } from '../lib/history/entry.js';
import { isDigest } from '../lib/registry/reference.js';

export interface DeployedRelease {
  release: { ref: string; digest: string };
  /** The candidate the bill of materials names. */
  candidate?: string;
  images: HistoryImage[];
  charts: HistoryChart[];
}

export function parseDeployed(text: string, what: string): DeployedRelease {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${what}: expected deploy-armada's release output (JSON), got ${preview(text)}`);
  }
  const record = asRecord(value, what, '{ref, digest, charts, images}');
  const digest = (field: unknown, where: string) => {
    if (typeof field !== 'string' || !isDigest(field))
      throw new UserError(`${where}: expected a digest sha256:<64 hex>, got ${preview(field)}`);
    return field;
  };
  const requireText = (field: unknown, where: string) => {
    if (typeof field !== 'string' || field === '')
      throw new UserError(`${where}: expected a non-empty string, got ${preview(field)}`);
    return field;
  };
  const list = (field: unknown, where: string) => {
    if (!Array.isArray(field)) throw new UserError(`${where}: expected a list, got ${preview(field)}`);
    return field;
  };
  const images = list(record.images, `${what} images`).map((item, i) => {
    const at = `${what} images[${i}]`;
    const image = asRecord(item, at, '{name, ref, digest}');
    return {
      name: requireText(image.name, `${at}.name`),
      ref: requireText(image.ref, `${at}.ref`),
      digest: digest(image.digest, `${at}.digest`),
    };
  });
  const charts = list(record.charts, `${what} charts`).map((item, i) => {
    const at = `${what} charts[${i}]`;
    const chart = asRecord(item, at, '{name, version, ref, digest}');
    return {
      name: requireText(chart.name, `${at}.name`),
      version: requireText(chart.version, `${at}.version`),
      ref: requireText(chart.ref, `${at}.ref`),
      digest: digest(chart.digest, `${at}.digest`),
      ...(typeof chart.contentDigest === 'string' ? { contentDigest: chart.contentDigest } : {}),
    };
  });
  return {
    release: { ref: requireText(record.ref, `${what} ref`), digest: digest(record.digest, `${what} digest`) },
    candidate: typeof record.candidate === 'string' ? record.candidate : undefined,
    images,
    charts,
  };
}

function asRecord(value: unknown, where: string, expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${where}: expected ${expected}, got ${preview(value)}`);
  return value as Record<string, unknown>;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
