/**
 * The DICOM Upper Layer state machine as data (PS3.8 §9.2): states (Table 9-9 / §9.2.1),
 * events (§9.2.1), actions (Table 9-6 .. 9-9) and the state transition table (Table 9-10).
 * No behaviour lives here; `fsm-actions.ts` implements the actions and `upper-layer.ts` drives them.
 */

/** The 13 states of PS3.8 §9.2.1 with the standard's descriptions. */
export const STATES = {
  Sta1: 'Idle',
  Sta2: 'Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)',
  Sta3: 'Awaiting local A-ASSOCIATE response primitive (from local user)',
  Sta4: 'Awaiting transport connection opening to complete (from local transport service)',
  Sta5: 'Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU',
  Sta6: 'Association established and ready for data transfer',
  Sta7: 'Awaiting A-RELEASE-RP PDU',
  Sta8: 'Awaiting local A-RELEASE response primitive (from local user)',
  Sta9: 'Release collision requestor side; awaiting A-RELEASE response (from local user)',
  Sta10: 'Release collision acceptor side; awaiting A-RELEASE-RP PDU',
  Sta11: 'Release collision requestor side; awaiting A-RELEASE-RP PDU',
  Sta12: 'Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)',
  Sta13: 'Awaiting Transport Connection Close Indication (Association no longer exists)',
} as const;

/** A state name, `'Sta1'` .. `'Sta13'` (PS3.8 §9.2.1). */
export type StateName = keyof typeof STATES;

/** The 19 events of PS3.8 §9.2.1 (Table 9-10 rows). */
export const EVENTS = {
  Evt1: 'A-ASSOCIATE Request (local user)',
  Evt2: 'Transport Connect Confirm (local transport service)',
  Evt3: 'A-ASSOCIATE-AC PDU (received on transport connection)',
  Evt4: 'A-ASSOCIATE-RJ PDU (received on transport connection)',
  Evt5: 'Transport Connection Indication (local transport service)',
  Evt6: 'A-ASSOCIATE-RQ PDU (received on transport connection)',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU',
  Evt11: 'A-RELEASE Request primitive',
  Evt12: 'A-RELEASE-RQ PDU (received on open transport connection)',
  Evt13: 'A-RELEASE-RP PDU (received on transport connection)',
  Evt14: 'A-RELEASE Response primitive',
  Evt15: 'A-ABORT Request primitive',
  Evt16: 'A-ABORT PDU (received on open transport connection)',
  Evt17: 'Transport connection closed indication (local transport service)',
  Evt18: 'ARTIM timer expired (Association reject/release timer)',
  Evt19: 'Unrecognized or invalid PDU received',
} as const;

/** An event name, `'Evt1'` .. `'Evt19'` (PS3.8 §9.2.1). */
export type EventName = keyof typeof EVENTS;

/** An action's description and the state(s) it leads to (PS3.8 Tables 9-6 .. 9-9). */
export interface ActionInfo {
  readonly description: string;
  /** Possible next states; two only for AE-6 (Sta3 or Sta13) and AR-8 (Sta9 or Sta10). */
  readonly next: readonly StateName[];
}

/**
 * The 28 actions of PS3.8 §9.2.2: Association establishment (Table 9-6), data transfer (9-7),
 * release (9-8) and abort (9-9).
 */
export const ACTIONS = {
  'AE-1': { description: 'Issue TRANSPORT CONNECT request primitive to local transport service', next: ['Sta4'] },
  'AE-2': { description: 'Send A-ASSOCIATE-RQ-PDU', next: ['Sta5'] },
  'AE-3': { description: 'Issue A-ASSOCIATE confirmation (accept) primitive', next: ['Sta6'] },
  'AE-4': { description: 'Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection', next: ['Sta1'] },
  'AE-5': { description: 'Issue Transport connection response primitive; start ARTIM timer', next: ['Sta2'] },
  'AE-6': {
    description:
      'Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue A-ASSOCIATE indication primitive (next state Sta3); otherwise: issue A-ASSOCIATE-RJ-PDU and start ARTIM timer (next state Sta13)',
    next: ['Sta3', 'Sta13'],
  },
  'AE-7': { description: 'Send A-ASSOCIATE-AC PDU', next: ['Sta6'] },
  'AE-8': { description: 'Send A-ASSOCIATE-RJ PDU and start ARTIM timer', next: ['Sta13'] },
  'DT-1': { description: 'Send P-DATA-TF PDU', next: ['Sta6'] },
  'DT-2': { description: 'Send P-DATA indication primitive', next: ['Sta6'] },
  'AR-1': { description: 'Send A-RELEASE-RQ PDU', next: ['Sta7'] },
  'AR-2': { description: 'Issue A-RELEASE indication primitive', next: ['Sta8'] },
  'AR-3': { description: 'Issue A-RELEASE confirmation primitive, and close transport connection', next: ['Sta1'] },
  'AR-4': { description: 'Issue A-RELEASE-RP PDU and start ARTIM timer', next: ['Sta13'] },
  'AR-5': { description: 'Stop ARTIM timer', next: ['Sta1'] },
  'AR-6': { description: 'Issue P-DATA indication', next: ['Sta7'] },
  'AR-7': { description: 'Issue P-DATA-TF PDU', next: ['Sta8'] },
  'AR-8': {
    description:
      'Issue A-RELEASE indication (release collision): if association-requestor, next state is Sta9; if not, next state is Sta10',
    next: ['Sta9', 'Sta10'],
  },
  'AR-9': { description: 'Send A-RELEASE-RP PDU', next: ['Sta11'] },
  'AR-10': { description: 'Issue A-RELEASE confirmation primitive', next: ['Sta12'] },
  'AA-1': {
    description: 'Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer',
    next: ['Sta13'],
  },
  'AA-2': { description: 'Stop ARTIM timer if running. Close transport connection', next: ['Sta1'] },
  'AA-3': {
    description:
      'If (service-user initiated abort): issue A-ABORT indication and close transport connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication and close transport connection',
    next: ['Sta1'],
  },
  'AA-4': { description: 'Issue an A-P-ABORT indication primitive', next: ['Sta1'] },
  'AA-5': { description: 'Stop ARTIM timer', next: ['Sta1'] },
  'AA-6': { description: 'Ignore PDU', next: ['Sta13'] },
  'AA-7': { description: 'Send A-ABORT PDU', next: ['Sta13'] },
  'AA-8': {
    description:
      'Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer',
    next: ['Sta13'],
  },
} as const satisfies Record<string, ActionInfo>;

/** An action name, e.g. `'AE-6'`, `'AA-8'` (PS3.8 §9.2.2). */
export type ActionName = keyof typeof ACTIONS;

/** Table 9-10 in one row per event: `Evt → { Sta → action }`; missing cells have no transition. */
export type TransitionTable = Readonly<Record<EventName, Readonly<Partial<Record<StateName, ActionName>>>>>;

/** The given states, all mapped to one action (most Table 9-10 rows repeat AA-8 across Sta3, Sta5..Sta12). */
function row(action: ActionName, states: readonly StateName[]): Partial<Record<StateName, ActionName>> {
  return Object.fromEntries(states.map((s) => [s, action]));
}

const CONNECTED_AFTER_RQ: readonly StateName[] = ['Sta3', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12'];

/**
 * PS3.8 Table 9-10 (DICOM Upper Layer Protocol State Transition Table): 123 defined cells of 247.
 * A missing cell means no transition: a local primitive there is a caller error, and network
 * events cannot occur there (Sta1, Sta4).
 */
export const TRANSITION_TABLE: TransitionTable = Object.freeze({
  Evt1: { Sta1: 'AE-1' },
  Evt2: { Sta4: 'AE-2' },
  Evt3: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta5: 'AE-3', Sta13: 'AA-6' },
  Evt4: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta5: 'AE-4', Sta13: 'AA-6' },
  Evt5: { Sta1: 'AE-5' },
  Evt6: { Sta2: 'AE-6', ...row('AA-8', CONNECTED_AFTER_RQ), Sta13: 'AA-7' },
  Evt7: { Sta3: 'AE-7' },
  Evt8: { Sta3: 'AE-8' },
  Evt9: { Sta6: 'DT-1', Sta8: 'AR-7' },
  Evt10: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta6: 'DT-2', Sta7: 'AR-6', Sta13: 'AA-6' },
  Evt11: { Sta6: 'AR-1' },
  Evt12: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta6: 'AR-2', Sta7: 'AR-8', Sta13: 'AA-6' },
  Evt13: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta7: 'AR-3', Sta10: 'AR-10', Sta11: 'AR-3', Sta13: 'AA-6' },
  Evt14: { Sta8: 'AR-4', Sta9: 'AR-9', Sta12: 'AR-4' },
  Evt15: { ...row('AA-1', CONNECTED_AFTER_RQ), Sta4: 'AA-2' },
  Evt16: { Sta2: 'AA-2', ...row('AA-3', CONNECTED_AFTER_RQ), Sta13: 'AA-2' },
  Evt17: { Sta2: 'AA-5', ...row('AA-4', CONNECTED_AFTER_RQ), Sta4: 'AA-4', Sta13: 'AR-5' },
  Evt18: { Sta2: 'AA-2', Sta13: 'AA-2' },
  Evt19: { Sta2: 'AA-1', ...row('AA-8', CONNECTED_AFTER_RQ), Sta13: 'AA-7' },
});

/** The action for an event in a state (Table 9-10), or undefined when the cell is empty. */
export function transition(event: EventName, state: StateName): ActionName | undefined {
  return TRANSITION_TABLE[event][state];
}
