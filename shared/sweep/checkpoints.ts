import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TrialCheckpoint } from '../contracts/index.ts';

/** Where a trial's latest checkpoint lives between attempts (Redis for workers, a directory or memory embedded). */
export interface CheckpointStore {
  load(trialId: string): Promise<TrialCheckpoint | null>;
  save(checkpoint: TrialCheckpoint): Promise<void>;
  delete(trialId: string): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly byTrial = new Map<string, string>();
  async load(trialId: string): Promise<TrialCheckpoint | null> {
    const json = this.byTrial.get(trialId);
    return json === undefined ? null : TrialCheckpoint.parse(JSON.parse(json));
  }
  async save(checkpoint: TrialCheckpoint): Promise<void> {
    this.byTrial.set(checkpoint.trialId, JSON.stringify(checkpoint));
  }
  async delete(trialId: string): Promise<void> {
    this.byTrial.delete(trialId);
  }
}

/** One JSON file per trial, written atomically (temp file + rename). */
export class DirectoryCheckpointStore implements CheckpointStore {
  constructor(private readonly dir: string) {}
  private path(trialId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(trialId)) throw new Error(`bad trial id ${JSON.stringify(trialId)}`);
    return join(this.dir, `${trialId}.json`);
  }
  async load(trialId: string): Promise<TrialCheckpoint | null> {
    try {
      return TrialCheckpoint.parse(JSON.parse(await readFile(this.path(trialId), 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
  async save(checkpoint: TrialCheckpoint): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = this.path(checkpoint.trialId);
    await writeFile(`${path}.tmp`, JSON.stringify(checkpoint));
    await rename(`${path}.tmp`, path);
  }
  async delete(trialId: string): Promise<void> {
    await rm(this.path(trialId), { force: true });
  }
}
