/**
 * Yin-Yang accuracy study of the `eventprop` method (default config, simulation mode), over
 * several training seeds. See bench/spike-time-accuracy.ts for the output.
 *
 *   nice -n 10 node --import tsx bench/eventprop-accuracy.ts [--seeds 5] [--epochs N] [--config overrides.json]
 */
import { accuracyStudy } from './spike-time-accuracy.ts';

await accuracyStudy('eventprop', process.argv.slice(2));
