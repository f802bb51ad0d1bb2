/** UIDs: SOP class registry, transfer syntaxes, UID generation (PS3.6 Table A-1, PS3.5 §9). */
export * from './sop-classes';
export * from './transfer-syntax';
export * from './generate';
