import { describe, expect, it } from 'vitest';
import { ChipConfig } from '../../contracts/trial-common.ts';
import { ChipLedger, energyJ, hardwareTimeMs, readoutBytes } from './cost.ts';
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

  it('counts read-out bytes: 4 per spike event, 1 per membrane sample', () => {
    expect(readoutBytes({ spikes: 10, membraneSamples: 0 })).toBe(40);
    expect(readoutBytes({ spikes: 10, membraneSamples: 123 * 40 })).toBe(40 + 4920);
    const ledger = new ChipLedger();
    ledger.record({ runs: 2, modelTimeMsPerRun: 30, spikes: 200, synapticEvents: 1000, readoutBytes: 800 });
    expect(ledger.hardwareTimeMs).toBeCloseTo(0.06, 15);
    expect(ledger.readoutBytesPerSample).toBe(400);
    expect(ledger.energyJ).toBeCloseTo(0.15 * 6e-5 + 200e-10 + 1000e-11, 15);
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
