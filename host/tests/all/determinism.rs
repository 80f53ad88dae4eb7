//! Deterministic mode: virtual clocks and seeded randomness make runs byte-identical, and the
//! seed changes the random draws and nothing else.

use crate::support::{Run, Wos, component, hello_services, host, manifest_text};

/// The hello example plus `dice`, a program that prints a random draw and the clocks; its
/// components are compiled (by `check`) before this returns, so every run starts warm.
fn wos(seed_line: &str) -> Wos {
    let mut services = hello_services();
    services.push(("dice", component("dice")));
    let wos = Wos::new(&manifest_text(seed_line, &services));
    host(&["check", wos.path().to_str().unwrap()]).expect_code(0);
    wos
}

fn run(wos: &Wos, flags: &[&str]) -> Run {
    let path = wos.path();
    let mut args = vec!["run", path.to_str().unwrap()];
    args.extend_from_slice(flags);
    host(&args).expect_code(0)
}

fn dice_lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().filter(|l| l.starts_with("dice ")).collect()
}

#[test]
fn deterministic_runs_are_byte_identical() {
    let wos = wos("");
    let first = run(&wos, &["--deterministic"]);
    let second = run(&wos, &["--deterministic"]);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stderr, second.stderr);
    let dice = dice_lines(&first);
    assert_eq!(dice[2], "dice      | wall clock: 946684800 s since 1970", "{}", first.stdout);
    assert_eq!(dice[3], "dice      | sum 499500 took 1ms", "{}", first.stdout);
}

#[test]
fn without_deterministic_mode_the_clock_is_real() {
    let first = run(&wos(""), &[]);
    let wall = dice_lines(&first)[2].to_owned();
    assert!(!wall.ends_with("946684800 s since 1970"), "{wall}");
}

#[test]
fn the_seed_changes_the_random_draw_and_nothing_else() {
    let wos = wos("");
    let one = run(&wos, &["--seed", "1"]);
    let two = run(&wos, &["--seed", "2"]);
    let differing: Vec<(&str, &str)> = one.stdout.lines().zip(two.stdout.lines()).filter(|(a, b)| a != b).collect();
    assert!(!differing.is_empty(), "the seed changed nothing:\n{}", one.stdout);
    for (a, _) in &differing {
        let seeded = ["dice      | roll: ", "dice      | draw: ", "entry     |   trace: "];
        assert!(seeded.iter().any(|s| a.starts_with(s)), "{a}");
    }
    assert_eq!(one.stdout.lines().count(), two.stdout.lines().count());
    // The log differs only in the (seeded) ids of the trace.
    let untraced = |stderr: &str| -> Vec<String> {
        stderr.lines().map(|l| l.split(" span=").next().unwrap().split(" trace=").next().unwrap().to_owned()).collect()
    };
    assert_eq!(untraced(&one.stderr), untraced(&two.stderr));
}

#[test]
fn the_seed_can_come_from_the_wos() {
    let from_flag = run(&wos(""), &["--seed", "7"]);
    let from_wos = run(&wos("seed = 7"), &["--deterministic"]);
    assert_eq!(dice_lines(&from_flag), dice_lines(&from_wos));
}
