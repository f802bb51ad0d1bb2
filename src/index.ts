/**
 * netdicom public API (curated). Lower layers are reachable through `netdicom/internal`-style
 * deep imports in tests and adapters, but only what is exported here is supported.
 */
export * from './errors';
export type { Transport, TransportInfo, Listener } from './transport';
export type * from './pdu/types';
export * from './dimse/types';

export { ApplicationEntity, type RoleOptions } from './ae';
export { Association, type CloseInfo } from './association';
export { Server, type ServeOptions } from './server';
export {
  checkProposal,
  explainNegotiation,
  formatNegotiation,
  type ContextExplanation,
  type NegotiationReport,
  type ProposalIntent,
  type ProposalWarning,
  type RoleExplanation,
} from './acse/explain';
export type { AssociationIdentity, NetEvent, NetEventBase, NetObserver } from './telemetry';
export { recordTransport, replayTransport, ReplayTimeoutError, type ReplayOptions, type ReplayResult, type Trace, type TraceEntry } from './record';
export { AssociationPool, type AssociationPoolOptions, type PoolKey, type PoolStats } from './pool';
export { Reject, type AcceptorOptions } from './acceptor';
export type { AssociateOptions } from './requestor';
export { DEFAULT_AE_OPTIONS, type AeOptions } from './options';
export { consoleLogger, silentLogger, type Logger } from './logger';
export {
  ContextResult,
  DEFAULT_TRANSFER_SYNTAXES,
  DICOM_APPLICATION_CONTEXT,
  contextResultName,
  type NegotiatedContext,
  type RequestedContext,
  type SupportedContext,
} from './acse/contexts';

export type { CallOptions, Dataset, DimseResponse, StatusCategory } from './scu/types';
export type { StoreInput, StoreOptions } from './scu/store';
export type { FindOptions, FindResult } from './scu/find';
export type { RetrieveOptions, RetrieveProgress } from './scu/retrieve';
export type { NResult } from './scu/n-services';
export type { QueryModel } from './scu/query-models';
export type * from './scp/types';

export { DimseProvider, type DimseProviderOptions, type GetMsgOptions, type IncomingMessage } from './dimse/provider';
export type { DatasetBytes, RecyclingChunks } from './dimse/dataset-source';
export * from './dimse/status';
export { encodeCommand, decodeCommand } from './dimse/command-set';
export * from './uids';
export * from './dataset';
export { encodePdu } from './pdu/encode';
export { decodePdu } from './pdu/decode';
export { PduReader } from './pdu/reader';
export { compileQuery, matchesQuery, projectResponse, type CompiledQuery, type MatchOptions } from './services/query-matching';

// DIMSE-N service classes (PS3.4): SCP handler factories and SCU helpers.
export type { NCallOptions } from './scu/n-services';
export { ServiceContexts } from './services/service-contexts';
export { keywordForTag, tagForKeyword, selectAttributes, nGetAnswer, applyModifications } from './services/n-attributes';
export * from './services/display-system';
export * from './services/storage-commitment';
export * from './services/mpps';
export * from './services/instance-availability';
export * from './services/ups-scu';
export { upsScp, type UpsScpOptions, type UpsResult } from './services/ups';
export { UpsStatus, UPS_STATUS_MEANING } from './services/ups-status';
export { UPS_FINAL_STATE, UPS_CREATE_REQUIRED, UPS_SET_NOT_ALLOWED, type UpsFinalStateRequirement } from './services/ups-requirements';
export type { UpsGlobalSubscription } from './services/ups-subscriptions';
export type { AttributeRequirement } from './services/procedure-step-requirements';
export * from './services/print';
export * from './services/media-creation';
export * from './services/application-event-logging';
export * from './services/rt-machine-verification';
export * from './services/inventory-creation';
export * from './services/substance-administration-query';
export { PresentationContexts, presentationContextsFor, type ServiceClassName } from './services/presentation-contexts';
export { describeServiceStatus, type StatusMeanings } from './services/service-statuses';
