/**
 * Number formatting shared by the CLI, the API's sentences, the dashboard and the report, so one
 * number reads the same everywhere. `–` stands for a missing value.
 */
import type { NamedSpread } from './types.ts';

export const MISSING = '–';

const isNumber = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** An accuracy fraction as percent without the sign: 0.9134 → "91.3". */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  return isNumber(fraction) ? (100 * fraction).toFixed(digits) : MISSING;
}

/** Percentage points with a sign: 4.62 → "+4.6 pp". */
export function formatPp(pp: number | null | undefined, digits = 1): string {
  if (!isNumber(pp)) return MISSING;
  const text = Math.abs(pp).toFixed(digits);
  const sign = Number(text) === 0 ? '±' : pp > 0 ? '+' : '−';
  return `${sign}${text} pp`;
}

/** A 95 % interval in pp: "−2.1 to +11.3 pp". */
export function formatInterval(ci: readonly [number, number] | null | undefined, digits = 1): string {
  if (!ci) return MISSING;
  const one = (x: number) => formatPp(x, digits).replace(' pp', '');
  return `${one(ci[0])} to ${one(ci[1])} pp`;
}

/** A named spread: "± 2.4 pp (sd over chip means, 5 chips)". */
export function formatSpread(spread: Omit<NamedSpread, 'text'>, digits = 1): string {
  const over = spread.name === 'sdOverChipMeans' ? 'chips' : spread.name === 'sdOverSeedMeans' ? 'seeds' : 'trials';
  if (spread.sdPp === null) return `${MISSING} (${spread.label}, ${spread.n} ${spread.n === 1 ? over.slice(0, -1) : over})`;
  return `± ${spread.sdPp.toFixed(digits)} pp (${spread.label}, ${spread.n} ${over})`;
}

/**
 * A duration: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". Rounded once at the unit shown,
 * so no "1m60s".
 */
export function formatDurationMs(ms: number | null | undefined): string {
  if (!isNumber(ms) || ms < 0) return MISSING;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = Number((ms / 1000).toFixed(1));
    if (s < 60) return `${s.toFixed(1)} s`;
  }
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(ms / 60_000);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}

/** Bytes: "382 B", "6.7 kB", "1.2 MB" (decimal units). */
export function formatBytes(bytes: number | null | undefined): string {
  if (!isNumber(bytes)) return MISSING;
  if (Math.abs(bytes) < 1000) return `${Math.round(bytes)} B`;
  if (Math.abs(bytes) < 1e6) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Energy in joules: "1.25 mJ", "0.31 J". */
export function formatEnergyJ(joules: number | null | undefined): string {
  if (!isNumber(joules)) return MISSING;
  return Math.abs(joules) < 1 ? `${(joules * 1000).toFixed(2)} mJ` : `${joules.toFixed(2)} J`;
}

/** A share 0..1 as a percentage: 0.423 → "42 %". */
export function formatShare(share: number | null | undefined): string {
  return isNumber(share) ? `${Math.round(100 * share)} %` : MISSING;
}

/** "spike-time (in-the-loop)". */
export function groupLabel(g: { method: string; mode: string }): string {
  return `${g.method} (${g.mode})`;
}
