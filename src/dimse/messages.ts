/**
 * What each DIMSE message carries (PS3.7 §9.3 DIMSE-C and §10.3 DIMSE-N command tables),
 * plus validation and a readable dump for debug logs.
 */
import { DimseError } from '../errors';
import { uidName } from '../uids/sop-classes';
import { describeStatus, statusCategory, type DimseService } from './status';
import { CommandField, NO_DATASET, type Command, type CommandName } from './types';

/** M mandatory, U user option, C conditional (PS3.7 §9.3/§10.3 table legends). */
export type FieldUsage = 'M' | 'U' | 'C';

/** Whether a data set must, may or must not follow the command. */
export type DatasetRule = 'required' | 'optional' | 'none';

/** The command fields of one message, with their usage, and its data set rule. */
export interface MessageSpec {
  readonly fields: Readonly<Partial<Record<keyof Command, FieldUsage>>>;
  readonly dataset: DatasetRule;
}

// Fields every response may carry when a failure/warning status needs them (PS3.7 Annex C).
const ERR = { OffendingElement: 'C', ErrorComment: 'C', ErrorID: 'C' } as const;
const RQ = { CommandField: 'M', MessageID: 'M', CommandDataSetType: 'M' } as const;
const RSP = { CommandField: 'M', MessageIDBeingRespondedTo: 'M', CommandDataSetType: 'M', Status: 'M', ...ERR } as const;
// Attribute Identifier List (0000,1005) in a response: PS3.7's field for the tags of a 0x0105
// (C.5.17), 0x0107 (C.4.2) or 0x0120 (C.5.13) status; for 0x0121 (C.5.14) PS3.7 relates the
// attribute list data set instead, and netdicom's SCPs name its tags here too (and in Offending
// Element). §10.1 gives those statuses to N-GET (0x0107), N-SET and N-CREATE only;
// N-EVENT-REPORT, N-ACTION and N-DELETE have none.
const ATTRIBUTES = { AttributeIdentifierList: 'C' } as const;
const SUBOPS = {
  NumberOfRemainingSuboperations: 'C',
  NumberOfCompletedSuboperations: 'C',
  NumberOfFailedSuboperations: 'C',
  NumberOfWarningSuboperations: 'C',
} as const;

/** PS3.7 Tables 9.3-1 .. 9.3-13 (DIMSE-C) and 10.3-1 .. 10.3-12 (DIMSE-N). */
export const MESSAGES: Readonly<Record<CommandName, MessageSpec>> = {
  'C-STORE-RQ': {
    fields: {
      ...RQ,
      AffectedSOPClassUID: 'M',
      Priority: 'M',
      AffectedSOPInstanceUID: 'M',
      MoveOriginatorApplicationEntityTitle: 'U',
      MoveOriginatorMessageID: 'U',
    },
    dataset: 'required',
  },
  'C-STORE-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U' }, dataset: 'none' },
  'C-FIND-RQ': { fields: { ...RQ, AffectedSOPClassUID: 'M', Priority: 'M' }, dataset: 'required' },
  // Identifier only with Pending statuses (PS3.7 §9.1.2.1.6).
  'C-FIND-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U' }, dataset: 'optional' },
  'C-GET-RQ': { fields: { ...RQ, AffectedSOPClassUID: 'M', Priority: 'M' }, dataset: 'required' },
  'C-GET-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', ...SUBOPS }, dataset: 'optional' },
  'C-MOVE-RQ': { fields: { ...RQ, AffectedSOPClassUID: 'M', Priority: 'M', MoveDestination: 'M' }, dataset: 'required' },
  'C-MOVE-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', ...SUBOPS }, dataset: 'optional' },
  'C-ECHO-RQ': { fields: { ...RQ, AffectedSOPClassUID: 'M' }, dataset: 'none' },
  'C-ECHO-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U' }, dataset: 'none' },
  'C-CANCEL-RQ': {
    fields: { CommandField: 'M', MessageIDBeingRespondedTo: 'M', CommandDataSetType: 'M' },
    dataset: 'none',
  },
  'N-EVENT-REPORT-RQ': {
    fields: { ...RQ, AffectedSOPClassUID: 'M', AffectedSOPInstanceUID: 'M', EventTypeID: 'M' },
    dataset: 'optional',
  },
  'N-EVENT-REPORT-RSP': {
    fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U', EventTypeID: 'C' },
    dataset: 'optional',
  },
  'N-GET-RQ': {
    fields: { ...RQ, RequestedSOPClassUID: 'M', RequestedSOPInstanceUID: 'M', AttributeIdentifierList: 'U' },
    dataset: 'none',
  },
  'N-GET-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U', ...ATTRIBUTES }, dataset: 'optional' },
  'N-SET-RQ': { fields: { ...RQ, RequestedSOPClassUID: 'M', RequestedSOPInstanceUID: 'M' }, dataset: 'required' },
  'N-SET-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U', ...ATTRIBUTES }, dataset: 'optional' },
  'N-ACTION-RQ': {
    fields: { ...RQ, RequestedSOPClassUID: 'M', RequestedSOPInstanceUID: 'M', ActionTypeID: 'M' },
    dataset: 'optional',
  },
  'N-ACTION-RSP': {
    fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U', ActionTypeID: 'C' },
    dataset: 'optional',
  },
  'N-CREATE-RQ': { fields: { ...RQ, AffectedSOPClassUID: 'M', AffectedSOPInstanceUID: 'U' }, dataset: 'optional' },
  'N-CREATE-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'C', ...ATTRIBUTES }, dataset: 'optional' },
  'N-DELETE-RQ': { fields: { ...RQ, RequestedSOPClassUID: 'M', RequestedSOPInstanceUID: 'M' }, dataset: 'none' },
  'N-DELETE-RSP': { fields: { ...RSP, AffectedSOPClassUID: 'U', AffectedSOPInstanceUID: 'U' }, dataset: 'none' },
};

const NAMES: ReadonlyMap<number, CommandName> = new Map(
  (Object.entries(CommandField) as Array<[CommandName, number]>).map(([name, field]) => [field, name]),
);

/** The message name for a Command Field value (PS3.7 Table E.1-1), e.g. 0x8030 -> "C-ECHO-RSP". */
export function commandName(field: number): CommandName | undefined {
  return NAMES.get(field);
}

/** True for request (and C-CANCEL) command fields: bit 15 clear (PS3.7 Table E.1-1). */
export function isRequest(field: number): boolean {
  return (field & 0x8000) === 0;
}

/**
 * The response Command Field for a request: bit 15 set, e.g. 0x0001 -> 0x8001 (PS3.7 Table E.1-1).
 * Throws DimseError('COMMAND_INVALID') for C-CANCEL-RQ (no response), responses and unknown fields.
 */
export function responseFieldFor(requestField: number): number {
  const response = requestField | 0x8000;
  if (!isRequest(requestField) || requestField === CommandField['C-CANCEL-RQ'] || !NAMES.has(response)) {
    throw new DimseError('COMMAND_INVALID', `0x${hex(requestField)} is not a request that has a response`);
  }
  return response;
}

/** The DIMSE service of a command field, e.g. 0x8021 -> "C-MOVE" (used to pick status tables). */
export function serviceOf(field: number): DimseService | undefined {
  const name = commandName(field);
  if (!name || name === 'C-CANCEL-RQ') return undefined;
  return name.replace(/-(RQ|RSP)$/, '') as DimseService;
}

/**
 * Check a command against PS3.7 §9.3/§10.3: known Command Field, mandatory fields present,
 * no fields the message does not define, data set presence, Priority range. Returns the
 * problems found, empty when fine.
 */
export function validateCommand(cmd: Command): string[] {
  const problems: string[] = [];
  const name = commandName(cmd.CommandField);
  if (!name) return [`unknown CommandField 0x${hex(cmd.CommandField)}`];
  const spec = MESSAGES[name];
  for (const [key, usage] of Object.entries(spec.fields) as Array<[keyof Command, FieldUsage]>) {
    if (usage === 'M' && cmd[key] === undefined) problems.push(`${name}: missing mandatory ${key}`);
  }
  for (const key of Object.keys(cmd) as Array<keyof Command>) {
    if (cmd[key] !== undefined && !(key in spec.fields)) problems.push(`${name}: ${key} is not defined for this message`);
  }
  const hasDataset = cmd.CommandDataSetType !== NO_DATASET;
  if (spec.dataset === 'required' && !hasDataset) problems.push(`${name}: a data set is required`);
  if (spec.dataset === 'none' && hasDataset) problems.push(`${name}: no data set is allowed`);
  if (cmd.Priority !== undefined && ![0, 1, 2].includes(cmd.Priority)) {
    problems.push(`${name}: Priority ${cmd.Priority} is not 0, 1 or 2`);
  }
  return problems;
}

const hex = (n: number, w = 4): string => n.toString(16).toUpperCase().padStart(w, '0');
const tagText = (t: number): string => `(${hex(t >>> 16)},${hex(t & 0xffff)})`;

const LABELS: ReadonlyArray<readonly [keyof Command, string]> = [
  ['MessageID', 'Message ID'],
  ['MessageIDBeingRespondedTo', 'Message ID Being Responded To'],
  ['AffectedSOPClassUID', 'Affected SOP Class UID'],
  ['RequestedSOPClassUID', 'Requested SOP Class UID'],
  ['AffectedSOPInstanceUID', 'Affected SOP Instance UID'],
  ['RequestedSOPInstanceUID', 'Requested SOP Instance UID'],
  ['Priority', 'Priority'],
  ['MoveDestination', 'Move Destination'],
  ['MoveOriginatorApplicationEntityTitle', 'Move Originator AE Title'],
  ['MoveOriginatorMessageID', 'Move Originator Message ID'],
  ['EventTypeID', 'Event Type ID'],
  ['ActionTypeID', 'Action Type ID'],
  ['AttributeIdentifierList', 'Attribute Identifier List'],
  ['Status', 'Status'],
  ['OffendingElement', 'Offending Element'],
  ['ErrorComment', 'Error Comment'],
  ['ErrorID', 'Error ID'],
  ['NumberOfRemainingSuboperations', 'Remaining Sub-operations'],
  ['NumberOfCompletedSuboperations', 'Completed Sub-operations'],
  ['NumberOfFailedSuboperations', 'Failed Sub-operations'],
  ['NumberOfWarningSuboperations', 'Warning Sub-operations'],
];

const PRIORITY = ['Medium', 'High', 'Low'];

/**
 * A multi-line, human-readable dump of a command set, in the spirit of pynetdicom's DIMSE debug
 * log: message type, then one "Label : value" line per present field, UIDs with their names,
 * Status with its category and meaning (PS3.7 Annex C), and whether a data set follows.
 */
export function describeCommand(cmd: Command): string {
  const name = commandName(cmd.CommandField) ?? `Unknown (0x${hex(cmd.CommandField)})`;
  const service = serviceOf(cmd.CommandField);
  const lines = [`Message Type                  : ${name.replace(/-(RQ|RSP)$/, ' $1')}`];
  for (const [key, label] of LABELS) {
    const v = cmd[key];
    if (v === undefined) continue;
    let text: string;
    if (typeof v === 'string') {
      text = key.endsWith('UID') && uidName(v) !== v ? `${v} (${uidName(v)})` : v;
    } else if (Array.isArray(v)) {
      text = v.length ? v.map(tagText).join(', ') : '(empty)';
    } else if (key === 'Status') {
      text = `0x${hex(v)} ${statusCategory(v)}: ${describeStatus(v, service)}`;
    } else if (key === 'Priority') {
      text = PRIORITY[v] ?? String(v);
    } else {
      text = String(v);
    }
    lines.push(`${label.padEnd(30)}: ${text}`);
  }
  lines.push(`${'Data Set'.padEnd(30)}: ${cmd.CommandDataSetType === NO_DATASET ? 'None' : 'Present'}`);
  return lines.join('\n');
}
