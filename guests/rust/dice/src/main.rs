//! Prints what a guest sees of randomness and time: a random draw from `wasi:random`, the wall
//! clock and the time a short computation took. In deterministic mode all three are the same on
//! every run with the same seed.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut bytes = [0u8; 8];
    getrandom(&mut bytes);
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    let started = Instant::now();
    let sum: u64 = (0..1000u64).sum();
    println!("roll: {}", u64::from_le_bytes(bytes) % 6 + 1);
    println!("draw: {:016x}", u64::from_le_bytes(bytes));
    println!("wall clock: {} s since 1970", since_epoch.as_secs());
    println!("sum {sum} took {:?}", started.elapsed());
}

/// Fills `buf` from `wasi:random/random` (what std's hash maps and `rand` use underneath).
fn getrandom(buf: &mut [u8]) {
    let bytes = wasip2::random::random::get_random_bytes(buf.len() as u64);
    buf.copy_from_slice(&bytes);
}
