import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { energyJ, hardwareTimeMs } from './cost.ts';
import { TrialNoise } from './noise.ts';
import { adcCode, adcRead } from './observe.ts';

describe('chip costs', () => {
  it('runs 1000x faster than model time', () => {
    expect(hardwareTimeMs(40)).toBeCloseTo(0.04, 15);
  });

  it('keeps a BSS-2-sized frame inside the 85,000 frames/s at < 200 mW envelope', () => {
    // one 5-120-3 frame: 11.76 µs of hardware time (1 / 85,000 s), ~125 spikes, ~960 synaptic events
    const perFrame = energyJ({ hardwareTimeMs: 1000 / 85_000, spikes: 125, synapticEvents: 960 });
    expect(perFrame).toBeGreaterThan(1e-6);
    expect(perFrame).toBeLessThan(0.2 / 85_000);
    expect(energyJ({ hardwareTimeMs: 0, spikes: 1, synapticEvents: 0 })).toBeCloseTo(1e-10, 20);
  });
});

describe('observation and trial noise', () => {
  it('reads membranes through an 8-bit window of [E_L − s/2, E_L + 3s/2], clipped', () => {
    expect(adcCode(0, 0, 1)).toBe(64); // 0.5 / 2 · 255 = 63.75
    expect(adcCode(-5, 0, 1)).toBe(0);
    expect(adcCode(5, 0, 1)).toBe(255);
    expect(Math.abs(adcRead(0.4, 0, 1) - 0.4)).toBeLessThanOrEqual(1 / 255 + 1e-12);
    expect(adcRead(2, 0, 1)).toBe(1.5);
  });

  it('draws trial noise from its own stream, with the configured σ, replayable from a snapshot', () => {
    const config = ChipConfig.parse({ mismatchSeed: 3 });
    const noise = new TrialNoise(config, 11);
    const state = noise.snapshot();
    const draws = Array.from({ length: 4000 }, () => noise.thresholdDeviation(2.6));
    const sd = Math.sqrt(draws.reduce((a, b) => a + b * b, 0) / draws.length);
    expect(sd / (0.0154 * 2.6)).toBeGreaterThan(0.95);
    expect(sd / (0.0154 * 2.6)).toBeLessThan(1.05);
    noise.restore(state);
    expect(noise.thresholdDeviation(2.6)).toBe(draws[0]);
    expect(new TrialNoise(config, 12).thresholdDeviation(2.6)).not.toBe(draws[0]);
    const silent = new TrialNoise(ChipConfig.parse({ noiseScale: 0 }), 11);
    expect(silent.spikeJitterMs(5)).toBe(0);
    expect(silent.membraneNoise(1)).toBe(0);
  });
});
