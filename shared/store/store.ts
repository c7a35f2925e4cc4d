import type { ResultsMessage, SweepRecord, TrialResult } from '../contracts/index.ts';
import type { Database } from './collection.ts';
import { collectionsOf } from './layout.ts';
import type { FieldSummary } from './field.ts';
import { SummaryReads } from './summary-reads.ts';
import type { ResultStore, Stats, StoredTrialStatus, SweepListItem, SweepSummary, TrialCurve, TrialOutcome, TrialPage, TrialQuery } from './types.ts';
import { WriteProtocol } from './write-protocol.ts';

export { STORE_SCHEMA_VERSION } from './layout.ts';

/**
 * The result store over a small collection interface (MongoDB or the embedded mingo backend):
 * the write protocol (./write-protocol.ts; document layout and idempotency in ./layout.ts)
 * and the summary reads (./summary-reads.ts) over the same collections.
 */
export class Store implements ResultStore {
  private readonly writes: WriteProtocol;
  private readonly reads: SummaryReads;

  constructor(private readonly db: Database) {
    const collections = collectionsOf(db);
    this.writes = new WriteProtocol(collections);
    this.reads = new SummaryReads(collections);
  }

  /** Creates indexes and records the schema version. Idempotent. */
  init(): Promise<void> {
    return this.writes.init();
  }

  apply(message: ResultsMessage): Promise<void> {
    return this.writes.apply(message);
  }

  /** Many messages in few round trips; the same end state as applying them one by one. */
  applyMany(messages: readonly ResultsMessage[]): Promise<void> {
    return this.writes.applyMany(messages);
  }

  rebuildSummaries(sweepId: string): Promise<void> {
    return this.writes.rebuildSummaries(sweepId);
  }

  /** Completes contributions interrupted by a crash, for every sweep. */
  repair(): Promise<void> {
    return this.writes.repair();
  }

  getSweep(sweepId: string): Promise<SweepRecord | null> {
    return this.reads.getSweep(sweepId);
  }

  listSweeps(options?: { offset?: number; limit?: number }): Promise<SweepListItem[]> {
    return this.reads.listSweeps(options);
  }

  listTrials(sweepId: string, query?: TrialQuery): Promise<TrialPage> {
    return this.reads.listTrials(sweepId, query);
  }

  getStatuses(trialIds: readonly string[]): Promise<Map<string, StoredTrialStatus>> {
    return this.reads.getStatuses(trialIds);
  }

  getResults(trialIds: string[]): Promise<TrialResult[]> {
    return this.reads.getResults(trialIds);
  }

  getCurves(trialIds: string[]): Promise<TrialCurve[]> {
    return this.reads.getCurves(trialIds);
  }

  getCurveBands(sweepId: string): Promise<{ method: string; mode: string; epochs: { epoch: number; accuracy: Stats }[] }[]> {
    return this.reads.getCurveBands(sweepId);
  }

  getSummary(sweepId: string): Promise<SweepSummary> {
    return this.reads.getSummary(sweepId);
  }

  getFieldSummary(sweepId: string): Promise<FieldSummary> {
    return this.reads.getFieldSummary(sweepId);
  }

  getOutcomes(sweepId: string): Promise<TrialOutcome[]> {
    return this.reads.getOutcomes(sweepId);
  }

  ping(): Promise<boolean> {
    return this.db.ping();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
