import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planSweep } from './plan.ts';

const dir = new URL('../../examples/', import.meta.url);
const sizes: Record<string, number> = { 'quick-robustness.yaml': 24, 'full-robustness.yaml': 2250, 'surrogate-search.yaml': 96, 'field-study.yaml': 18 };

describe('examples/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('has the documented specs', () => expect(files.sort()).toEqual(Object.keys(sizes).sort()));
  for (const file of files) {
    it(`${file} plans into ${sizes[file]} valid trials`, () => {
      expect(planSweep(parse(readFileSync(new URL(file, dir), 'utf8'))).trials).toHaveLength(sizes[file] as number);
    });
  }
});
