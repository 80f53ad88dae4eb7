//! Test program: calls the imported `parigot:testing/faults` once per argument, in order, and
//! prints each result. Arguments: `ping`, `spin`, `hog:MIB`, `crash:MESSAGE`, `sleep:MS` (the service
//! sleeps), `nap:MS` (the driver itself sleeps).

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
            "nap" => {
                let ms = argument.parse().expect("nap:MS takes a number");
                std::thread::sleep(std::time::Duration::from_millis(ms));
                ms.to_string()
            }
            other => {
                eprintln!("unknown command `{other}`: use ping, spin, hog:MIB, crash:MESSAGE, sleep:MS or nap:MS");
                std::process::exit(2);
            }
        };
        println!("{command} -> {result}");
    }
}
