import type { Database, DocCollection } from './collection.ts';

/** Version of the document layout below; stored in `meta` so a later layout can migrate. */
export const STORE_SCHEMA_VERSION = 1;

/**
 * The store logic, written once against the small collection interface.
 *
 * Collections
 * - `sweeps`     {_id: sweepId, name, spec, createdAt, axes, status, statusAt, planned,
 *                 running: {<trial key>: last progress time}}: the trials running now
 * - `sweepPlans` {_id: `${sweepId}:${chunk}`, sweepId, chunk, trials[≤ 1000]}: the planned trials
 * - `trials`     {_id: trialId, sweepIds[], contributedTo[], method, mode, seed, mismatchSeed,
 *                 config, status, attempt, workerId, startedAt, heartbeatAt, finishedAt,
 *                 epochsDone, lastValidationAccuracy, result (without epochs), resultHash,
 *                 testAccuracy, validationAccuracy, wallTimeMs, hardwareTimeMs, energyJ}
 * - `curves`     {_id: trialId, final, e: {ep<epoch>: EpochMetrics}}: per-epoch metrics
 * - `chips`      {_id: `${trialId}:${mismatchSeed}`, trialId, method, mode, mismatchSeed, testAccuracy}
 * - `summaries`  {_id, sweepId, kind, <key fields>, m: {<metric>: {n, s, q, lo, hi}}, c: {<counter>},
 *                 h: {<value key>: count} (group docs: histogram of test accuracy, for the exact
 *                 median), b: {w<k>: bits}}: pre-aggregated (see ./aggregates.ts); `b` is the set of
 *                 trials already counted, one bit per trial's index in the sweep's plan
 * - `curveSummaries` like `summaries`, kind `curve` (per-epoch moments), kept apart so that
 *                 reading a summary does not load them
 * - `meta`       {_id: 'schema', version}
 *
 * Idempotency. Every write is either an upsert that only sets values derived from the message
 * (the same message sets the same values), or a conditional update. A trial's contribution to
 * a summary document is one atomic update conditional on the trial's bit (its index i in the
 * sweep's plan: word `b.w⌊i/30⌋`, mask 2^(i mod 30)) being clear, which the update sets with
 * `$bit`; so a duplicate or replayed result adds nothing, and a crash between two summary
 * writes is completed by the replay. (A bitset, not a map of trial ids: reading 10,000 trials'
 * marks costs FerretDB ~30× less.) `contributedTo` in the trial marks sweeps whose every
 * contribution is done, so a replay of a sweep registration only revisits unfinished ones.
 * A changed final result for the same trial (a failed trial re-run to completion) replaces
 * the trial and rebuilds the summaries of its sweeps.
 */
export interface StoreCollections {
  sweeps: DocCollection;
  plans: DocCollection;
  trials: DocCollection;
  curves: DocCollection;
  chips: DocCollection;
  summaries: DocCollection;
  curveSummaries: DocCollection;
  meta: DocCollection;
}

export function collectionsOf(db: Database): StoreCollections {
  return {
    sweeps: db.collection('sweeps'),
    plans: db.collection('sweepPlans'),
    trials: db.collection('trials'),
    curves: db.collection('curves'),
    chips: db.collection('chips'),
    summaries: db.collection('summaries'),
    curveSummaries: db.collection('curveSummaries'),
    meta: db.collection('meta'),
  };
}
