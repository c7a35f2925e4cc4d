import { describe, expect, it } from 'vitest';
import { parseTrialConfig } from '../../contracts/trial.ts';
import { chipGradientCheck } from './gradcheck.ts';

describe('gradient fidelity on a chip', () => {
  it('spike-time: exact in simulation, close but not exact against the chip loss', async () => {
    const r = await chipGradientCheck(parseTrialConfig({ method: 'spike-time', chip: { calibrated: false } }), { batchSize: 16, maxParameters: 30 });
    expect(r.simulation.checkedParameters).toBe(30);
    expect(r.simulation.cosine).toBeGreaterThan(0.9999);
    expect(r.simulation.relativeError).toBeLessThan(1e-4);
    // one 6-bit step is a coarse finite difference of a noisy, mismatched device: the in-the-loop
    // gradient points the same way, but is measurably off
    expect(r.inTheLoop.cosine).toBeGreaterThan(0.9);
    expect(r.inTheLoop.relativeError).toBeGreaterThan(10 * r.simulation.relativeError);
    expect(r.inTheLoop.stepLsb.hiddenWeights).toBeGreaterThan(0);
  });

  it('is deterministic (trial noise frozen, same parameters picked)', async () => {
    const config = parseTrialConfig({ method: 'spike-time', seed: 3 });
    const a = await chipGradientCheck(config, { batchSize: 8, maxParameters: 10 });
    const b = await chipGradientCheck(config, { batchSize: 8, maxParameters: 10 });
    expect(a).toEqual(b);
  });
});
