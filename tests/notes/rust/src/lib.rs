//! Tests of the notes service in Rust: every test starts from the fixture alone, whatever the
//! tests before it wrote.

wit_bindgen::generate!({
    path: "../wit",
    world: "parigot:notes-tests/notes-tests",
    generate_all,
});

use crate::parigot::notes::notes;
use ::parigot::check_eq;
use ::parigot::test::{Failure, TestResult};

fn all() -> Result<Vec<String>, Failure> {
    notes::all().map_err(Failure::new)
}

fn starts_from_the_fixture() -> TestResult {
    check_eq!(all()?, vec!["from the fixture".to_owned()]);
    Ok(())
}

fn adds_a_note() -> TestResult {
    notes::add("written by a test").map_err(Failure::new)?;
    check_eq!(all()?, vec!["from the fixture".to_owned(), "written by a test".to_owned()]);
    Ok(())
}

fn does_not_see_what_another_test_wrote() -> TestResult {
    check_eq!(all()?.len(), 1);
    Ok(())
}

::parigot::tests!(starts_from_the_fixture, adds_a_note, does_not_see_what_another_test_wrote);
