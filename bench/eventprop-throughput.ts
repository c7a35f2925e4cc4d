/**
 * Training throughput of the default `eventprop` config: samples per second of event-based
 * forward + adjoint backward + Adam step, per CPU-second of one core.
 *
 *   nice -n 10 node --import tsx bench/eventprop-throughput.ts [--seconds 10] [--config overrides.json]
 */
import { measureThroughput } from './spike-time-throughput.ts';

measureThroughput('eventprop', process.argv.slice(2));
