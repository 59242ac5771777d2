/**
 * SimVolume: the simulated disk's medium, which outlives the processes that
 * use it. It holds files by name twice: the directory as the OS shows it
 * now, and the directory as it is on the platter. A directory fsync copies
 * the first to the second; a power loss keeps, for each name whose entry
 * changed since (created, renamed over, removed), either version, and for
 * each file its durable bytes plus perhaps some unsynced ones (SimFile).
 */
import { SimFile, type TearWeights } from './simFile.js';

export class SimVolume {
  /** The directory as a process sees it. */
  private readonly visible = new Map<string, SimFile>();
  /** The directory as a power loss leaves it. */
  private readonly durableDir = new Map<string, SimFile>();
  /** Names whose entry changed since the last directory fsync. */
  private readonly changed = new Set<string>();

  get(name: string): SimFile | undefined {
    return this.visible.get(name);
  }

  /** Names visible now, sorted. */
  names(): string[] {
    return [...this.visible.keys()].sort();
  }

  /** Creates or replaces (rename over) the entry `name`; durable after the next `syncDir`. */
  link(name: string, file: SimFile): void {
    this.visible.set(name, file);
    this.changed.add(name);
  }

  /** Removes the entry `name`; durable after the next `syncDir`. */
  unlink(name: string): void {
    this.visible.delete(name);
    this.changed.add(name);
  }

  /** fsync of the directory: every entry change so far is durable. */
  syncDir(): void {
    for (const name of this.changed) {
      const file = this.visible.get(name);
      if (file) this.durableDir.set(name, file);
      else this.durableDir.delete(name);
    }
    this.changed.clear();
  }

  /** Bytes visible, over every file. */
  get totalBytes(): number {
    let total = 0;
    for (const file of this.visible.values()) total += file.length;
    return total;
  }

  /** The volume a power loss leaves: see the file comment. Draws from `random` in name order. */
  afterPowerLoss(random: () => number, tear?: TearWeights): SimVolume {
    const next = new SimVolume();
    const names = [...new Set([...this.visible.keys(), ...this.durableDir.keys()])].sort();
    for (const name of names) {
      const now = this.visible.get(name);
      const onPlatter = this.durableDir.get(name);
      const file = now === onPlatter ? now : random() < 0.5 ? now : onPlatter;
      if (!file) continue;
      const survivor = SimFile.durableWith(file.afterPowerLoss(random, tear));
      next.visible.set(name, survivor);
      next.durableDir.set(name, survivor);
    }
    return next;
  }
}
