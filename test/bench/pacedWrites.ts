/** A steady write rate: the load of the lag benchmarks. */

export interface PacedLoad {
  /** Writes made. */
  readonly written: number;
  readonly seconds: number;
}

/**
 * Calls `writeOne(i)` `ratePerSec` times a second for `durationMs`, in 1 ms
 * timer slices: each slice catches up to the count the clock says is due,
 * so a late timer makes a larger slice rather than a lower rate.
 * `writeOne` must not block (fire the write, do not await it).
 */
export function pacedWrites(ratePerSec: number, durationMs: number, writeOne: (i: number) => void): Promise<PacedLoad> {
  let written = 0;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const slice = (): void => {
      try {
        const elapsedMs = performance.now() - t0;
        const due = Math.floor((ratePerSec * Math.min(elapsedMs, durationMs)) / 1000);
        while (written < due) writeOne(written++);
        if (elapsedMs >= durationMs) resolve({ written, seconds: (performance.now() - t0) / 1000 });
        else setTimeout(slice, 1);
      } catch (err) {
        reject(err);
      }
    };
    slice();
  });
}
