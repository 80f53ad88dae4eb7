//! The tests of the `{{service}}` service, run by `parigot-host test`: each test runs against
//! fresh instances of the wos's services and a fresh database.

wit_bindgen::generate!({
    path: "../../wit",
    world: "{{service}}-tests",
    generate_all,
});

// `::parigot` is the SDK; `crate::parigot` holds the bindings of parigot's own WIT packages.
use ::parigot::check_eq;
use ::parigot::test::TestResult;
use {{package_path}}::{{service_snake}};

fn counts_each_visit() -> TestResult {
    check_eq!({{service_snake}}::hello("ada"), Ok("Hello, ada! (visit 1)".to_string()));
    check_eq!({{service_snake}}::hello("ada"), Ok("Hello, ada! (visit 2)".to_string()));
    check_eq!({{service_snake}}::hello("grace"), Ok("Hello, grace! (visit 1)".to_string()));
    Ok(())
}

::parigot::tests!(counts_each_visit);
