/**
 * The folder walk of storescu's inputs (adapters/cli/part10-file.ts listFiles) and of the Q/R
 * SCP's scan (qr/index.ts): regular files under a folder, symbolic links followed.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** What {@link walkFiles} leaves out and where it goes. */
export interface WalkOptions {
  /** Walk subfolders too; else only the folder's own files. */
  readonly recursive: boolean;
  /** Whether to leave out an entry (file or folder) by its name. */
  readonly skip: (name: string) => boolean;
  /** Called with a symbolic link whose target is missing (or cannot be stat'ed); it is not listed. */
  readonly broken: (file: string) => void;
}

/**
 * Appends the regular files under `dir` to `out` (and returns it): each folder's entries in name
 * order, subfolders where they sort. Symbolic links are followed (a broken one goes to `broken`);
 * a linked folder is walked unless its real path was walked already in this call, so a link to
 * an ancestor cannot loop.
 */
export async function walkFiles(dir: string, options: WalkOptions, out: string[] = []): Promise<string[]> {
  await walkInto(dir, options, out, new Set());
  return out;
}

async function walkInto(dir: string, options: WalkOptions, out: string[], walked: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (walked.has(real)) return;
  walked.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (options.skip(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const target = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry;
    if (!target) options.broken(full);
    else if (target.isFile()) out.push(full);
    else if (target.isDirectory() && options.recursive) await walkInto(full, options, out, walked);
  }
}
