// The JavaScript test service of parigot:files-test: the folders its wos grants it (WASI
// preopens), through the SDK's `parigot/files`.
import { Err } from "parigot";
import * as fs from "parigot/files";

/** Runs `body`, returning a file error as the function's error. */
function orErr(body) {
  try {
    return body();
  } catch (error) {
    if (error instanceof fs.FileError) throw new Err(error.message);
    throw error;
  }
}

export const files = {
  read: (path) => orErr(() => fs.readText(path)),
  write: (path, text) => orErr(() => fs.writeText(path, text)),
  list: (path) => orErr(() => fs.list(path)),
};
