import { describe, expect, it } from 'vitest';
import { ValidationError } from '../contracts/index.ts';
import { planSweep } from '../sweep/plan.ts';
import { parseTrialJob } from './payloads.ts';
import { trialJobOptions, trialPayload } from './queues.ts';

const plan = planSweep({ name: 'p', base: { method: 'surrogate', training: { epochs: 2 } }, axes: { seed: [0, 1] }, maxAttempts: 4, priority: 7 });
const trial = plan.trials[0]!;

function issuesOf(data: unknown): string[] {
  try {
    parseTrialJob(data);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
}

describe('trial job payloads', () => {
  it('round-trips a planned trial', () => {
    const payload = trialPayload(plan.sweepId, plan.spec, trial);
    const { config } = parseTrialJob(JSON.parse(JSON.stringify(payload)));
    expect(config).toEqual(trial.config);
    expect(payload).toMatchObject({ schemaVersion: 1, sweepId: plan.sweepId, trialId: trial.trialId, checkpointEveryEpochs: 1, earlyStopping: { kind: 'none' } });
  });

  it('rejects a payload whose config does not hash to its trial id, or is invalid, naming the path', () => {
    const payload = trialPayload(plan.sweepId, plan.spec, trial);
    expect(issuesOf({ ...payload, trialId: plan.trials[1]!.trialId })).toEqual(['trialId']);
    expect(issuesOf({ ...payload, config: { ...payload.config, seed: -1 } })).toEqual(['config.seed']);
    expect(issuesOf({ ...payload, extra: true })).toEqual(['']);
    expect(issuesOf({ schemaVersion: 2 })).toEqual(expect.arrayContaining(['schemaVersion', 'sweepId', 'trialId', 'config']));
  });

  it('job options: id = trial id, attempts and priority from the spec, exponential backoff, bounded history', () => {
    expect(trialJobOptions(trial.trialId, plan.spec)).toEqual({
      jobId: trial.trialId,
      attempts: 4,
      backoff: { type: 'exponential', delay: 2000 },
      priority: 7,
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 604_800, count: 50_000 },
    });
  });
});
