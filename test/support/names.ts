/**
 * Unique names for test resources (BullMQ queue names and prefixes, Redis keys, MongoDB
 * database names), so that test files, and the runs of teammates sharing one Redis and one
 * MongoDB-wire server, never see each other's data.
 */
import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * `<label>_<pid>_<counter>_<random>` in [a-z0-9_], valid as a MongoDB database name (at most
 * 63 characters, also on FerretDB), a BullMQ queue name and prefix, and a Redis key part.
 */
export function uniqueName(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 32);
  counter += 1;
  return `${clean}_${process.pid}_${counter}_${randomBytes(4).toString('hex')}`;
}
