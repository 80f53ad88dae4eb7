//! Test program: calls the imported `parigot:testing/faults` once per argument, in order, and
//! prints each result. Arguments: `ping`, `spin`, `hog:MIB`, `crash:MESSAGE`.

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
            other => {
                eprintln!("unknown command `{other}`: use ping, spin, hog:MIB or crash:MESSAGE");
                std::process::exit(2);
            }
        };
        println!("{command} -> {result}");
    }
}
