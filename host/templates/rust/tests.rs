//! The tests of the `{{service}}` service, run by `parigot-host test`: each test runs against
//! fresh instances of the wos's services.

wit_bindgen::generate!({
    path: "../../wit",
    world: "{{service}}-tests",
    generate_all,
});

// `::parigot` is the SDK; `crate::parigot` holds the bindings of parigot's own WIT packages.
use ::parigot::check_eq;
use ::parigot::test::TestResult;
use {{package_path}}::{{service_snake}};

fn says_hello() -> TestResult {
    check_eq!({{service_snake}}::hello("ada"), "Hello, ada!");
    Ok(())
}

::parigot::tests!(says_hello);
