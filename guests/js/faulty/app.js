// Test service in JavaScript (world `faulty`): loops, hogs memory or throws when asked to, and
// tells who calls it.
import { context, Err } from "parigot";
import * as fs from "parigot/files";

// Calls of `ping` since this instance started.
let pings = 0;

export const faults = {
  ping() {
    pings += 1;
    return pings;
  },
  spin() {
    let turns = 0n;
    for (;;) turns += 1n;
  },
  hog(mib) {
    const kept = [];
    for (let i = 0; i < mib; i++) kept.push(new Uint8Array(1 << 20).fill(1));
    return BigInt(kept.reduce((sum, chunk) => sum + chunk.length, 0));
  },
  crash(message) {
    throw new Error(`asked to crash: ${message}`);
  },
  // StarlingMonkey interprets JavaScript, a loop step per byte would take 64 MiB past a
  // deadline: the bytes are summed four at a time, two 16-bit lanes per word.
  weigh(data) {
    const whole = data.length - (data.length % 4);
    const words = new Uint32Array(data.slice(0, whole).buffer);
    let sum = 0;
    for (let i = 0; i < words.length; ) {
      // 128 words of at most 2 × 255 per lane keep each lane under 65536.
      const end = Math.min(words.length, i + 128);
      let lanes = 0;
      for (; i < end; i++) lanes += (words[i] & 0x00ff00ff) + ((words[i] >>> 8) & 0x00ff00ff);
      sum += (lanes & 0xffff) + (lanes >>> 16);
    }
    for (let i = whole; i < data.length; i++) sum += data[i];
    return BigInt(sum);
  },
  // JavaScript has no blocking sleep (StarlingMonkey's timers run only between calls): the
  // call waits on the clock.
  sleep(ms) {
    const until = Date.now() + ms;
    while (Date.now() < until);
    return ms;
  },
  flood(lines) {
    for (let n = 0; n < lines; n++) console.log(`flood line ${n}`);
    return lines;
  },
  recurse(depth) {
    return depth === 0 ? 0 : faults.recurse(depth - 1) + 1;
  },
  openFiles(folder, count) {
    const kept = [];
    for (let n = 0; n < count; n++) {
      try {
        kept.push(fs.open(`${folder}/f${n}`, { write: true }));
      } catch (error) {
        if (!(error instanceof fs.FileError)) throw error;
        break;
      }
    }
    for (const file of kept) file.close();
    return kept.length;
  },
};

export const users = {
  whoami() {
    return context.current().user;
  },
  membersOnly() {
    const user = context.requireUser();
    if (user === undefined) throw new Err("this call needs a logged-in user");
    return user;
  },
};
