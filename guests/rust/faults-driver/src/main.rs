//! Test program: calls the imported `parigot:testing/faults` once per argument, in order, and
//! prints each result. Arguments: `ping`, `spin`, `hog:MIB`, `crash:MESSAGE`, `sleep:MS` (the
//! service sleeps), `weigh:MIB` (sends MIB MiB of bytes); and commands the driver carries out
//! itself: `nap:MS` (sleeps), `shout:KIB` (prints a line of KIB KiB), `bind` (tries to open a
//! socket).

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "faults-driver",
});

use parigot::testing::faults;

fn main() {
    for command in std::env::args().skip(1) {
        let (verb, argument) = command.split_once(':').unwrap_or((command.as_str(), ""));
        println!("calling {command}");
        let result = match verb {
            "ping" => faults::ping().to_string(),
            "spin" => faults::spin().to_string(),
            "hog" => faults::hog(argument.parse().expect("hog:MIB takes a number")).to_string(),
            "crash" => faults::crash(argument),
            "sleep" => faults::sleep(argument.parse().expect("sleep:MS takes a number")).to_string(),
            "flood" => faults::flood(argument.parse().expect("flood:LINES takes a number")).to_string(),
            "weigh" => {
                let mib: usize = argument.parse().expect("weigh:MIB takes a number");
                format!("sum {}", faults::weigh(&vec![1u8; mib << 20]))
            }
            "shout" => {
                // KIB KiB of `x` with no newline: the host cuts the line into pieces.
                let kib: usize = argument.parse().expect("shout:KIB takes a number");
                print!("{}", "x".repeat(kib << 10));
                std::io::Write::flush(&mut std::io::stdout()).expect("stdout");
                println!();
                "shouted".to_owned()
            }
            "bind" => match std::net::TcpListener::bind("127.0.0.1:0") {
                Ok(listener) => format!("bound {:?}", listener.local_addr()),
                Err(error) => format!("refused: {error}"),
            },
            "nap" => {
                let ms = argument.parse().expect("nap:MS takes a number");
                std::thread::sleep(std::time::Duration::from_millis(ms));
                ms.to_string()
            }
            other => {
                eprintln!(
                    "unknown command `{other}`: use ping, spin, hog:MIB, crash:MESSAGE, sleep:MS, nap:MS, weigh:MIB, shout:KIB, flood:LINES or bind"
                );
                std::process::exit(2);
            }
        };
        println!("{command} -> {result}");
    }
}
