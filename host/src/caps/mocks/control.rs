//! Typed control of mocks: for every mocked interface, an interface of the generated package
//! `parigot:mock` through which tests steer the mock with the interface's own types. For
//!
//! ```wit
//! reserve: func(item: u64, n: u32) -> result<_, stock-error>;
//! ```
//!
//! in `example:shop/stock`, `parigot:mock/example-shop-stock` has
//!
//! ```wit
//! when-reserve: func(answer: result<_, stock-error>);                     // the next call
//! when-reserve-with: func(item: u64, n: u32, answer: result<_, stock-error>); // these arguments
//! reserve-calls: func() -> list<reserve-call>;     // record reserve-call { item: u64, n: u32 }
//! ```
//!
//! (`F-calls` counts the calls of a function without parameters). `parigot-host mocks WOS`
//! writes the package into the WIT folder of each test (`deps/parigot-mock/mock.wit`), read
//! from the mocked interfaces' WIT there ([`crate::build::codegen::mock_controls`]);
//! `parigot-host build` keeps it current.

use super::MockTable;
use crate::names::InterfaceName;
use crate::surface::InterfaceSig;
use std::collections::BTreeMap;

/// The generated package (its interfaces: one per mocked interface).
pub const PACKAGE: &str = "parigot:mock";

/// Where the generated package goes, in a test's WIT folder.
pub const FOLDER: &str = "deps/parigot-mock";

/// The file of the generated package in [`FOLDER`].
pub const FILE: &str = "mock.wit";

/// The name of the control interface of `mocked` in [`PACKAGE`]: its namespace, package and
/// name joined by `-` (`example:shop/stock` → `example-shop-stock`).
pub fn control_name(mocked: &InterfaceName) -> String {
    mocked.path().replace([':', '/'], "-")
}

/// The mocked interface that `import` steers, if it is a control interface of `table`.
pub fn steered<'t>(table: &'t MockTable, import: &InterfaceName) -> Option<&'t InterfaceName> {
    let (package, name) = import.path().split_once('/')?;
    (package == PACKAGE).then(|| table.keys().find(|mocked| control_name(mocked) == name)).flatten()
}

/// What one function of a control interface does, for the mocked function it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `when-F(answer)`: queue an answer for the next call.
    Queue(String),
    /// `when-F-with(params..., answer)`: answer every call with these arguments.
    Match(String),
    /// `F-calls()`: the calls so far (a count when F has no parameters).
    Calls(String),
}

/// The functions of the control interface of a mocked interface whose functions are
/// `functions` (name, whether it has parameters), by name; an error when two would share a name.
pub fn control_functions<'f>(
    functions: impl IntoIterator<Item = (&'f str, bool)>,
) -> Result<BTreeMap<String, Control>, String> {
    let mut controls = BTreeMap::new();
    for (function, has_params) in functions {
        let mut names = vec![(format!("when-{function}"), Control::Queue(function.to_owned()))];
        if has_params {
            names.push((format!("when-{function}-with"), Control::Match(function.to_owned())));
        }
        names.push((format!("{function}-calls"), Control::Calls(function.to_owned())));
        for (name, control) in names {
            if let Some(clash) = controls.insert(name.clone(), control) {
                return Err(format!(
                    "cannot steer the mock: `{name}` would control both `{function}` and `{}`",
                    match clash {
                        Control::Queue(f) | Control::Match(f) | Control::Calls(f) => f,
                    }
                ));
            }
        }
    }
    Ok(controls)
}

/// [`control_functions`] for a mocked interface known by its signature.
pub fn controls_of(sig: &InterfaceSig) -> Result<BTreeMap<String, Control>, String> {
    control_functions(sig.functions.iter().map(|(name, f)| (name.as_str(), !f.params.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> MockTable {
        names.iter().map(|name| (InterfaceName::parse(name).unwrap(), BTreeMap::new())).collect()
    }

    #[test]
    fn control_names_map_to_the_functions_they_steer() {
        let controls = control_functions([("reserve", true), ("count", false)]).unwrap();
        assert_eq!(controls["when-reserve"], Control::Queue("reserve".into()));
        assert_eq!(controls["when-reserve-with"], Control::Match("reserve".into()));
        assert_eq!(controls["reserve-calls"], Control::Calls("reserve".into()));
        assert!(!controls.contains_key("when-count-with"));
        let clash = control_functions([("f", true), ("f-with", false)]).unwrap_err();
        assert!(clash.contains("`when-f-with`"), "{clash}");
        let name = InterfaceName::parse("example:shop/stock@0.1.0").unwrap();
        assert_eq!(control_name(&name), "example-shop-stock");
        let import = InterfaceName::parse("parigot:mock/example-shop-stock@0.1.0").unwrap();
        let mocked = table(&["example:shop/stock"]);
        assert_eq!(steered(&mocked, &import).map(InterfaceName::path), Some("example:shop/stock"));
        assert_eq!(steered(&mocked, &InterfaceName::parse("parigot:mock/other@0.1.0").unwrap()), None);
        assert_eq!(steered(&mocked, &name), None, "the mocked interface itself steers nothing");
    }
}
