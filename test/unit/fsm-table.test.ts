/**
 * PS3.8 Table 9-10 checked cell by cell against the standard's table (test/fixtures/table-9-10.ts,
 * written independently of src/ul/fsm-table.ts: 19 rows, columns Sta1..Sta13, "-" = empty).
 */
import { describe, expect, it } from 'vitest';
import { ACTIONS, EVENTS, STATES, TRANSITION_TABLE, transition, type EventName, type StateName } from '../../src/ul/fsm-table';
import { STANDARD_TABLE_9_10 } from '../fixtures/table-9-10';

const STATE_NAMES = Array.from({ length: 13 }, (_, i) => `Sta${i + 1}` as StateName);
const EVENT_NAMES = Array.from({ length: 19 }, (_, i) => `Evt${i + 1}` as EventName);

function parseStandard(): Map<string, string | undefined> {
  const cells = new Map<string, string | undefined>();
  const rows = STANDARD_TABLE_9_10.trim().split('\n');
  expect(rows).toHaveLength(19);
  for (const row of rows) {
    const [event, ...actions] = row.trim().split(/\s+/);
    expect(actions).toHaveLength(13);
    actions.forEach((action, i) => cells.set(`${event}/${STATE_NAMES[i]}`, action === '-' ? undefined : action));
  }
  return cells;
}

describe('PS3.8 Table 9-10', () => {
  const expected = parseStandard();
  const cells = EVENT_NAMES.flatMap((event) => STATE_NAMES.map((state) => [event, state] as const));

  it('has 19 events, 13 states and 247 cells', () => {
    expect(Object.keys(EVENTS)).toEqual(EVENT_NAMES);
    expect(Object.keys(STATES)).toEqual(STATE_NAMES);
    expect(Object.keys(TRANSITION_TABLE).sort()).toEqual([...EVENT_NAMES].sort());
    expect(cells).toHaveLength(247);
  });

  it.each(cells)('%s in %s', (event, state) => {
    expect(transition(event, state)).toBe(expected.get(`${event}/${state}`));
  });

  it('has exactly 123 defined cells, and no cell outside Sta1..Sta13', () => {
    const defined = cells.filter(([e, s]) => transition(e, s) !== undefined);
    expect(defined).toHaveLength(123);
    for (const event of EVENT_NAMES) {
      for (const state of Object.keys(TRANSITION_TABLE[event])) expect(STATE_NAMES).toContain(state);
    }
  });

  it('uses every one of the 28 actions, and only those', () => {
    const used = new Set(cells.map(([e, s]) => transition(e, s)).filter(Boolean));
    expect([...used].sort()).toEqual(Object.keys(ACTIONS).sort());
    expect(Object.keys(ACTIONS)).toHaveLength(28);
  });

  it('records the next states of each action (two for AE-6 and AR-8)', () => {
    expect(ACTIONS['AE-6'].next).toEqual(['Sta3', 'Sta13']);
    expect(ACTIONS['AR-8'].next).toEqual(['Sta9', 'Sta10']);
    const single = Object.entries(ACTIONS).filter(([name]) => name !== 'AE-6' && name !== 'AR-8');
    for (const [, info] of single) expect(info.next).toHaveLength(1);
    expect(ACTIONS['AA-8'].next).toEqual(['Sta13']);
    expect(ACTIONS['AR-10'].next).toEqual(['Sta12']);
    expect(ACTIONS['DT-2'].next).toEqual(['Sta6']);
  });

  it('is frozen data', () => {
    expect(Object.isFrozen(TRANSITION_TABLE)).toBe(true);
  });
});
