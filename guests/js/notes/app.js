// The JavaScript test service of parigot:notes: notes in its SQLite database through the SDK's
// `parigot/sqlite`, and statements the host must refuse, attempted on request.
import { Err } from "parigot";
import * as sqlite from "parigot/sqlite";

const KINDS = new Map([
  [sqlite.NotAllowed, "not-allowed"],
  [sqlite.Busy, "busy"],
  [sqlite.Full, "full"],
  [sqlite.LimitExceeded, "limit"],
  [sqlite.SqliteError, "sql"],
]);

function describe(error) {
  if (!(error instanceof sqlite.SqliteError)) throw error;
  return `${KINDS.get(error.constructor)}: ${error.message}`;
}

/** Runs `body`, returning an SQLite failure as the function's error. */
function orErr(body) {
  try {
    return body();
  } catch (error) {
    throw new Err(describe(error));
  }
}

export const notes = {
  add(text) {
    return orErr(() => BigInt(sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text).lastInsertId));
  },
  all() {
    return orErr(() => sqlite.query("SELECT text FROM notes ORDER BY id").map((row) => row.text));
  },
  addInTransaction(text, commit) {
    orErr(() => {
      if (commit) {
        sqlite.transaction(() => sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text));
      } else {
        // Left open on purpose: the host rolls it back when this call ends.
        sqlite.execute("BEGIN");
        sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text);
      }
    });
  },
  attempt(statement) {
    try {
      sqlite.execute(statement);
      return "ok";
    } catch (error) {
      return describe(error);
    }
  },
  attemptQuery(statement) {
    try {
      return `${sqlite.query(statement).length} row(s)`;
    } catch (error) {
      return describe(error);
    }
  },
};
