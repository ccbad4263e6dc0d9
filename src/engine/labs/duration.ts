/**
 * Durations a student compares (an epoch, ten epochs): seconds with the precision that still
 * tells them apart, so an epoch of 0.44 s does not read as "0:00".
 */

/** 0.44 s, 3.25 s, 12.3 s, then m:ss (2:05) and h:mm:ss; negative or not finite (unknown) as a dash. */
export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const seconds = ms / 1000;
  if (seconds < 9.995) return `${seconds.toFixed(2)} s`;
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
