/**
 * The Query/Retrieve index: SQLite (sql.js, compiled to WebAssembly, so nothing native to build)
 * in memory, saved to one file atomically (temp + rename) shortly after each change and on close,
 * and loaded again at start. One row per instance, plus one per series, study and patient holding
 * the attributes of that level and the levels above it (levels.ts, PS3.4 C.6.1.1) that all its
 * current instances share.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import type { Dataset } from '../../../src/dataset/codec';
import { atOrAbove } from './levels';
import type { Part10Info } from './part10-reader';

/** Query/Retrieve levels (PS3.4 C.6.1.1, C.6.2.1). */
export type QrLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** One indexed instance: where its file is and what it is. */
export interface InstanceRow {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly path: string;
  readonly datasetOffset: number;
}

/** Exact-value filters the index can apply before attribute matching (UID lists allowed). */
export interface KeyFilter {
  readonly patientId?: readonly string[];
  readonly studyUid?: readonly string[];
  readonly seriesUid?: readonly string[];
  readonly sopInstanceUid?: readonly string[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  sop_instance_uid TEXT PRIMARY KEY, sop_class_uid TEXT NOT NULL, transfer_syntax TEXT NOT NULL,
  patient_id TEXT NOT NULL, study_uid TEXT NOT NULL, series_uid TEXT NOT NULL, modality TEXT,
  path TEXT NOT NULL, size INTEGER, mtime REAL, dataset_offset INTEGER NOT NULL, attrs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS instances_study ON instances(study_uid);
CREATE INDEX IF NOT EXISTS instances_series ON instances(series_uid);
CREATE INDEX IF NOT EXISTS instances_patient ON instances(patient_id);
CREATE INDEX IF NOT EXISTS instances_path ON instances(path);
CREATE TABLE IF NOT EXISTS series (series_uid TEXT PRIMARY KEY, study_uid TEXT NOT NULL, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (study_uid TEXT PRIMARY KEY, patient_id TEXT NOT NULL, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patients (patient_id TEXT PRIMARY KEY, attrs TEXT NOT NULL);
`;

/**
 * PRAGMA user_version of an index whose series, study and patient rows are built as now. Older
 * files had rows holding lower-level attributes, never rebuilt when an instance was replaced or
 * removed: they are rebuilt from the instances once, on open.
 */
const INDEX_VERSION = 1;

/** The entity tables above the instances: keyed by the instances' column of the same name. */
interface Parent {
  readonly table: string;
  readonly key: 'series_uid' | 'study_uid' | 'patient_id';
  readonly level: QrLevel;
  /** The column naming the entity's parent (an instance's value of it). */
  readonly up?: 'study_uid' | 'patient_id';
}
type ParentIds = Record<Parent['key'], string>;
/** What an instance was indexed as. */
interface Indexed {
  readonly ids: ParentIds;
  readonly attrs: Dataset;
}
const PARENTS: readonly Parent[] = [
  { table: 'series', key: 'series_uid', level: 'SERIES', up: 'study_uid' },
  { table: 'studies', key: 'study_uid', level: 'STUDY', up: 'patient_id' },
  { table: 'patients', key: 'patient_id', level: 'PATIENT' },
];

let sqlJs: Promise<SqlJsStatic> | undefined;
function loadSqlJs(): Promise<SqlJsStatic> {
  // sql.js is CommonJS and finds its .wasm next to itself; load it through require.
  const require = createRequire(import.meta.url);
  sqlJs ??= (require('sql.js') as (config?: object) => Promise<SqlJsStatic>)();
  return sqlJs;
}

export interface QrDatabaseOptions {
  /** The database file; null keeps it in memory only. */
  file: string | null;
  /** Delay before saving after a change (default 250 ms): a burst of C-STOREs is saved once. */
  saveDelayMs?: number;
  /** Told when a save started by that delay fails (the changes stay unsaved; the next save retries). */
  onSaveError?(error: unknown): void;
}

/**
 * The index of a Query/Retrieve SCP: one row per Part 10 file, plus the attributes common to each
 * series, study and patient, in SQLite (sql.js) in memory, saved to a file. Opened with
 * `QrDatabase.open(...)`; {@link createQrScp} makes one (`qr.db`). `add` and `remove` keep it current,
 * `records` gives a level's C-FIND candidates, `instances` the files for C-GET/C-MOVE, and
 * `close()` saves and frees it.
 */
export class QrDatabase {
  private timer: NodeJS.Timeout | undefined;
  private depth = 0;
  /**
   * Parents to rebuild from their instances before the next query or save: a study corrected
   * instance by instance is rebuilt once, not once per instance (each a pass over all of them).
   */
  private readonly stale = new Map<Parent, Set<string>>(PARENTS.map((p) => [p, new Set()]));
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly db: Database,
    private readonly options: QrDatabaseOptions,
  ) {}

  /** Opens (or creates) the index; a file that is not a readable database is an error, not silently replaced. */
  static async open(options: QrDatabaseOptions): Promise<QrDatabase> {
    const SQL = await loadSqlJs();
    let data: Uint8Array | undefined;
    if (options.file) {
      mkdirSync(path.dirname(options.file), { recursive: true });
      try {
        data = readFileSync(options.file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const db = new SQL.Database(data);
    // The WASM file system is memory: a journal on it costs time and buys nothing (the file on
    // disk is written whole, atomically, by save()).
    db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;');
    db.exec(SCHEMA);
    const index = new QrDatabase(db, options);
    index.upgrade();
    return index;
  }

  /** Instances indexed. */
  count(): number {
    return Number(this.db.exec('SELECT COUNT(*) FROM instances')[0]?.values[0]?.[0] ?? 0);
  }

  /** Whether this file is indexed as it is now (same size and modification time). */
  isCurrent(file: string, size: number, mtimeMs: number): boolean {
    return this.rows('SELECT 1 FROM instances WHERE path = ? AND size = ? AND mtime = ?', [file, size, mtimeMs]).length > 0;
  }

  /** The file an instance is indexed under, if it is indexed. */
  pathOf(sopInstanceUid: string): string | undefined {
    const [row] = this.rows('SELECT path FROM instances WHERE sop_instance_uid = ?', [sopInstanceUid]);
    return row ? String(row[0]) : undefined;
  }

  /** Every indexed path (to drop files that disappeared). */
  paths(): Array<{ sopInstanceUid: string; path: string }> {
    return this.rows('SELECT sop_instance_uid, path FROM instances').map(([uid, p]) => ({ sopInstanceUid: String(uid), path: String(p) }));
  }

  /** Runs `fn` in one transaction (nested calls join the outer one): many adds cost one commit. */
  transaction<T>(fn: () => T): T {
    // Counted only once BEGIN has succeeded: a failed BEGIN must not leave every later call
    // thinking it is nested (and so running without a transaction of its own).
    if (this.depth === 0) this.db.exec('BEGIN');
    this.depth++;
    try {
      const result = fn();
      if (this.depth === 1) this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.depth === 1) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.depth--;
    }
  }

  /** Adds or replaces an instance, and folds its attributes into its series, study and patient. */
  add(info: Part10Info, attributes: Dataset): void {
    this.transaction(() => this.insert(info, attributes));
  }

  private insert(info: Part10Info, attributes: Dataset): void {
    const attrs = indexable(attributes);
    const str = (k: string) => (typeof attrs[k] === 'string' ? (attrs[k] as string) : '');
    const ids = { patient_id: str('PatientID'), study_uid: str('StudyInstanceUID'), series_uid: str('SeriesInstanceUID') };
    const replaced = this.indexed(info.sopInstanceUid);
    this.db.run(
      'INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
      [info.sopInstanceUid, info.sopClassUid, info.transferSyntaxUid, ids.patient_id, ids.study_uid, ids.series_uid, str('Modality') || null,
        info.path, info.size, info.mtimeMs, info.datasetOffset, JSON.stringify(attrs)],
    );
    for (const parent of PARENTS) {
      const stale = this.stale.get(parent)!;
      // A new instance narrows its parents to what it shares with them. A replaced one may widen
      // them again (a corrected name) or leave them: unless it is the same at that level (a study
      // sent twice), its old and new parents are rebuilt from their instances.
      if (replaced) {
        if (!sameAt(parent, replaced, ids, attrs)) stale.add(replaced.ids[parent.key]).add(ids[parent.key]);
      } else if (!stale.has(ids[parent.key])) {
        this.merge(parent, ids[parent.key], attrs, parent.up && ids[parent.up]);
      }
    }
    this.changed();
  }

  /** Removes an instance (its file is gone); its series, study and patient are rebuilt (or dropped) before the next query. */
  remove(sopInstanceUid: string): void {
    this.transaction(() => {
      const removed = this.indexed(sopInstanceUid);
      this.db.run('DELETE FROM instances WHERE sop_instance_uid = ?', [sopInstanceUid]);
      if (removed) for (const parent of PARENTS) this.stale.get(parent)!.add(removed.ids[parent.key]);
    });
    this.changed();
  }

  /** Rebuilds every series, study and patient row from the instances if the file predates INDEX_VERSION. */
  private upgrade(): void {
    if (Number(this.db.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0) >= INDEX_VERSION) return;
    this.transaction(() => {
      for (const parent of PARENTS) {
        this.db.run(`DELETE FROM ${parent.table}`);
        for (const [id] of this.rows(`SELECT DISTINCT ${parent.key} FROM instances`)) this.rebuild(parent, String(id));
      }
      this.db.exec(`PRAGMA user_version = ${INDEX_VERSION}`);
    });
    this.changed();
  }

  /** Rebuilds the stale parents ({@link stale}). */
  private refresh(): void {
    if (PARENTS.every((p) => this.stale.get(p)!.size === 0)) return;
    this.transaction(() => {
      for (const [parent, ids] of this.stale) for (const id of ids) this.rebuild(parent, id);
    });
    // Only once committed: a failed rebuild is tried again next time.
    for (const ids of this.stale.values()) ids.clear();
  }

  /** An indexed instance's series, study and patient, and its attributes; undefined if it is not indexed. */
  private indexed(sopInstanceUid: string): Indexed | undefined {
    const [row] = this.rows('SELECT series_uid, study_uid, patient_id, attrs FROM instances WHERE sop_instance_uid = ?', [sopInstanceUid]);
    return row && { ids: { series_uid: String(row[0]), study_uid: String(row[1]), patient_id: String(row[2]) }, attrs: JSON.parse(String(row[3])) as Dataset };
  }

  /**
   * Candidate records of a level, with the level's computed attributes (PS3.4 C.6.1.1.x: numbers
   * of related entities, Modalities and SOP Classes in Study). Only entities with instances.
   */
  records(level: QrLevel, filter: KeyFilter): Dataset[] {
    this.refresh();
    const { where, params } = whereOf(filter);
    const parse = (text: SqlValue) => JSON.parse(String(text)) as Dataset;
    const list = (v: SqlValue) => (v === null ? [] : String(v).split(',').filter(Boolean).sort());
    // The computed attributes are added to the parsed record in place (no object spread, no
    // destructured rows): this runs per candidate, often in a process that has not warmed up.
    switch (level) {
      case 'IMAGE':
        return this.rows(`SELECT attrs FROM instances i ${where}`, params).map((row) => parse(row[0]!));
      case 'SERIES':
        return this.rows(`SELECT s.attrs, COUNT(*) FROM series s JOIN instances i ON i.series_uid = s.series_uid ${where} GROUP BY s.series_uid`, params).map((row) => {
          const record = parse(row[0]!);
          record.NumberOfSeriesRelatedInstances = Number(row[1]);
          return record;
        });
      case 'STUDY':
        return this.rows(
          `SELECT s.attrs, COUNT(*), COUNT(DISTINCT i.series_uid), group_concat(DISTINCT i.modality), group_concat(DISTINCT i.sop_class_uid)
           FROM studies s JOIN instances i ON i.study_uid = s.study_uid ${where} GROUP BY s.study_uid`, params,
        ).map((row) => {
          const record = parse(row[0]!);
          record.NumberOfStudyRelatedInstances = Number(row[1]);
          record.NumberOfStudyRelatedSeries = Number(row[2]);
          record.ModalitiesInStudy = list(row[3]!);
          record.SOPClassesInStudy = list(row[4]!);
          return record;
        });
      case 'PATIENT':
        return this.rows(
          `SELECT p.attrs, COUNT(*), COUNT(DISTINCT i.series_uid), COUNT(DISTINCT i.study_uid)
           FROM patients p JOIN instances i ON i.patient_id = p.patient_id ${where} GROUP BY p.patient_id`, params,
        ).map((row) => {
          const record = parse(row[0]!);
          record.NumberOfPatientRelatedInstances = Number(row[1]);
          record.NumberOfPatientRelatedSeries = Number(row[2]);
          record.NumberOfPatientRelatedStudies = Number(row[3]);
          return record;
        });
    }
  }

  /** The instances under the given entities (for C-GET/C-MOVE), in study/series/instance order. */
  instances(filter: KeyFilter): InstanceRow[] {
    const { where, params } = whereOf(filter);
    return this.rows(
      `SELECT sop_instance_uid, sop_class_uid, transfer_syntax, path, dataset_offset FROM instances i ${where} ORDER BY study_uid, series_uid, path`, params,
    ).map(([uid, cls, ts, p, off]) => ({ sopInstanceUid: String(uid), sopClassUid: String(cls), transferSyntaxUid: String(ts), path: String(p), datasetOffset: Number(off) }));
  }

  /** Writes the database file now (waits for a save under way); a failed save rejects this call only. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const save = this.saving.then(() => this.save());
    // The queue itself never rejects: one failed save (disk full, folder gone) must not fail every
    // later flush with its old error; the changes stay dirty and the next flush writes them.
    this.saving = save.catch(() => undefined);
    await save;
  }

  /** Saves pending changes and frees the database, even if that last save fails (which it reports). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.db.close();
    }
  }

  private changed(): void {
    this.dirty = true;
    if (!this.options.file || this.timer) return;
    this.timer = setTimeout(() => void this.flush().catch((error: unknown) => this.options.onSaveError?.(error)), this.options.saveDelayMs ?? 250);
    this.timer.unref();
  }

  /** Atomic save: a reader (or a crash) sees the old file or the new one, never half of one. */
  private async save(): Promise<void> {
    if (!this.dirty || !this.options.file) return;
    this.refresh();
    this.dirty = false;
    const file = this.options.file;
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temp, this.db.export(), { flush: true });
      await rename(temp, file);
    } catch (error) {
      this.dirty = true;
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Folds a new instance's attributes into its parent's row ({@link folded}; all of them, for a new parent). */
  private merge(parent: Parent, id: string, attrs: Dataset, up?: string): void {
    const [old] = this.rows(`SELECT attrs FROM ${parent.table} WHERE ${parent.key} = ?`, [id]);
    const own = ofLevel(attrs, parent.level);
    this.write(parent, id, old ? folded(JSON.parse(String(old[0])) as Dataset, own) : own, up);
  }

  /** Builds a parent's row again from its current instances, or deletes it when none is left. */
  private rebuild(parent: Parent, id: string): void {
    const instances = this.rows(`SELECT attrs${parent.up ? `, ${parent.up}` : ''} FROM instances WHERE ${parent.key} = ?`, [id]);
    if (instances.length === 0) {
      this.db.run(`DELETE FROM ${parent.table} WHERE ${parent.key} = ?`, [id]);
      return;
    }
    let shared: Dataset | undefined;
    for (const [attrs] of instances) {
      const own = ofLevel(JSON.parse(String(attrs)) as Dataset, parent.level);
      shared = shared ? folded(shared, own) : own;
    }
    this.write(parent, id, shared!, parent.up && String(instances.at(-1)![1]));
  }

  private write(parent: Parent, id: string, attrs: Dataset, up?: string): void {
    const columns = parent.up ? `(${parent.key}, ${parent.up}, attrs) VALUES (?, ?, ?)` : `(${parent.key}, attrs) VALUES (?, ?)`;
    this.db.run(`INSERT OR REPLACE INTO ${parent.table} ${columns}`, parent.up ? [id, up ?? '', JSON.stringify(attrs)] : [id, JSON.stringify(attrs)]);
  }

  private rows(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const statement = this.db.prepare(sql, params);
    const out: SqlValue[][] = [];
    try {
      while (statement.step()) out.push(statement.get());
    } finally {
      statement.free();
    }
    return out;
  }
}

function whereOf(filter: KeyFilter): { where: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  const add = (column: string, values: readonly string[] | undefined) => {
    if (!values) return;
    clauses.push(`i.${column} IN (${values.map(() => '?').join(',')})`);
    params.push(...values);
  };
  add('patient_id', filter.patientId);
  add('study_uid', filter.studyUid);
  add('series_uid', filter.seriesUid);
  add('sop_instance_uid', filter.sopInstanceUid);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The attributes worth indexing: no bulk (binary) values, no dcmjs bookkeeping. */
function indexable(ds: Dataset): Dataset {
  const out: Dataset = {};
  for (const [k, v] of Object.entries(ds)) {
    if (k.startsWith('_') || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) continue;
    if (Array.isArray(v) && v.some((x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x))) continue;
    out[k] = Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' && !('Alphabetic' in x) ? indexable(x as Dataset) : x)) : v;
  }
  return out;
}

/** The attributes of `level` and the levels above it: a series row holds no instance's attributes. */
function ofLevel(attrs: Dataset, level: QrLevel): Dataset {
  const out: Dataset = {};
  for (const [k, v] of Object.entries(attrs)) if (atOrAbove(k, level)) out[k] = v;
  return out;
}

/** Whether a replaced instance is under the same parent with the same attributes of the parent's level. */
function sameAt(parent: Parent, old: Indexed, ids: ParentIds, attrs: Dataset): boolean {
  return old.ids[parent.key] === ids[parent.key] && (!parent.up || old.ids[parent.up] === ids[parent.up])
    && JSON.stringify(ofLevel(old.attrs, parent.level)) === JSON.stringify(ofLevel(attrs, parent.level));
}

/**
 * A parent's attributes with a newer instance's folded in: every attribute any of its instances
 * has, the newest non-empty value winning where they differ (as dcmqrscp keeps one value per study).
 * Not their intersection: an attribute dropped for differing (or missing from one instance) would
 * read as zero length, which a Required Key matches whatever the query asks (PS3.4 C.2.2.1.2).
 */
function folded(older: Dataset, newer: Dataset): Dataset {
  const out: Dataset = { ...older };
  for (const [k, v] of Object.entries(newer)) if (!(k in out) || !isEmpty(v)) out[k] = v;
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.every(isEmpty));
}
