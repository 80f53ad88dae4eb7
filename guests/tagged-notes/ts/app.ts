// The TypeScript test service of parigot:tagged-notes: notes with tags through the typed
// queries the host generates from db/queries.sql (the module `notes:db/queries`), and the SDK's
// transactions.
import { Err } from "parigot";
import { checked, execute, SqliteError, transaction } from "parigot/sqlite";
import * as queries from "notes:db/queries";
import type { Note, TagCount, TaggedNotes } from "parigot:tagged-notes/tagged-notes@0.1.0";

/** Runs `body`, returning a failed query as the function's error, `kind: message`. */
function orErr<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof SqliteError) throw new Err(`${error.kind}: ${error.message}`);
    throw error;
  }
}

function withTags(row: { id: bigint; title: string; body: string | undefined }): Note {
  return { ...row, tags: checked(() => queries.tagsOf(row.id)) };
}

export const taggedNotes: TaggedNotes = {
  add(title, body, tags) {
    return orErr(() =>
      transaction(() => {
        const id = checked(() => queries.addNote(title, body));
        for (const tag of tags) checked(() => queries.tagNote(id, tag));
        return id;
      }),
    );
  },
  get(id) {
    return orErr(() => {
      const row = checked(() => queries.getNote(id));
      return row === undefined ? undefined : withTags(row);
    });
  },
  tagged(tag) {
    return orErr(() => checked(() => queries.notesTagged(tag)).map(withTags));
  },
  remove(id) {
    return orErr(() => checked(() => queries.deleteNote(id)) > 0n);
  },
  tagCounts(): TagCount[] {
    return orErr(() => checked(() => queries.tagCounts()));
  },
  addThenCrash(title) {
    execute("BEGIN");
    checked(() => queries.addNote(title, undefined));
    throw new Error("crashing with a transaction open");
  },
};
