//! Test program: asks the imported `parigot:testing/users` who the run is (`parigot-host run
//! --user NAME` makes it NAME), and prints the answers.

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "users-driver",
});

use parigot::testing::users;

fn main() {
    println!("whoami -> {}", users::whoami().as_deref().unwrap_or("(logged out)"));
    match users::members_only() {
        Ok(user) => println!("members-only -> {user}"),
        Err(refused) => println!("members-only refused: {refused}"),
    }
}
