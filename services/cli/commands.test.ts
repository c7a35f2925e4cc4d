import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, isCommandName } from './commands.ts';

describe('the CLI command table', () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    it(`${name}: its module registers exactly the command '${name}' with the table's summary`, async () => {
      const program = new Command('spikesweep');
      (await entry.load()).register(program);
      expect(program.commands.map((c) => c.name())).toEqual([name]);
      expect(program.commands[0]!.description()).toBe(entry.summary);
    });
  }

  it('knows its command names and nothing else', () => {
    expect(isCommandName('trial')).toBe(true);
    expect(isCommandName('toString')).toBe(false);
    expect(isCommandName(undefined)).toBe(false);
  });
});
