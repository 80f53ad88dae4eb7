//! Names that appear in a manifest, checked while parsing so that errors point at the file.

use serde::Deserialize;
use std::fmt;

/// A service name: lowercase letters, digits and dashes, starting with a letter (at most 63
/// characters), so it can be used in logs, file names and URLs as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ServiceName(String);

impl ServiceName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ServiceName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        let valid_start = name.starts_with(|c: char| c.is_ascii_lowercase());
        let valid_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid_start && valid_chars && name.len() <= 63 && !name.ends_with('-') {
            Ok(ServiceName(name))
        } else {
            Err(format!(
                "`{name}` is not a valid service name: use lowercase letters, digits and dashes, \
                 starting with a letter (for example `user-store`)"
            ))
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WIT interface name, `namespace:package/interface`, with an optional `@version`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct InterfaceName {
    /// `namespace:package/interface`, without the version.
    path: String,
    version: Option<semver::Version>,
}

impl InterfaceName {
    /// Parses a name as a component's import or export spells it, e.g.
    /// `wasi:cli/run@0.2.3`. Returns `None` for names that are not interfaces (plain function
    /// or instance names such as `run`).
    pub fn parse(name: &str) -> Option<Self> {
        let (path, version) = match name.split_once('@') {
            Some((path, version)) => (path, Some(semver::Version::parse(version).ok()?)),
            None => (name, None),
        };
        let (package, interface) = path.split_once('/')?;
        let (namespace, package) = package.split_once(':')?;
        let is_id = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        (is_id(namespace) && is_id(package) && is_id(interface))
            .then(|| InterfaceName { path: path.to_owned(), version })
    }

    /// `namespace:package/interface`, without the version.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The package namespace, e.g. `wasi` for `wasi:cli/run`.
    pub fn namespace(&self) -> &str {
        self.path.split(':').next().unwrap_or_default()
    }

    /// The version, if the name carries one.
    pub fn version(&self) -> Option<&semver::Version> {
        self.version.as_ref()
    }

    /// Whether an export named `other` can satisfy an import named `self`: the same interface,
    /// and versions that semver says are compatible (same major version; for 0.x the same
    /// minor version). A name without a version matches any version.
    pub fn accepts(&self, other: &InterfaceName) -> bool {
        if self.path != other.path {
            return false;
        }
        match (&self.version, &other.version) {
            (Some(a), Some(b)) => compatible(a, b),
            _ => true,
        }
    }
}

/// Two versions are compatible when they agree on the first non-zero of major, minor, patch.
fn compatible(a: &semver::Version, b: &semver::Version) -> bool {
    match (a.major, a.minor) {
        (0, 0) => a.major == b.major && a.minor == b.minor && a.patch == b.patch,
        (0, _) => b.major == 0 && a.minor == b.minor,
        _ => a.major == b.major,
    }
}

impl TryFrom<String> for InterfaceName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        InterfaceName::parse(&name).ok_or_else(|| {
            format!(
                "`{name}` is not a WIT interface name: write `namespace:package/interface`, \
                 optionally with `@version` (for example `example:hello/greeter@0.1.0`)"
            )
        })
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        match &self.version {
            Some(version) => write!(f, "@{version}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_are_kebab_case() {
        assert!(ServiceName::try_from("user-store2".to_owned()).is_ok());
        for bad in ["", "User", "9lives", "a_b", "trailing-", "with space"] {
            let err = ServiceName::try_from(bad.to_owned()).unwrap_err();
            assert!(err.contains("not a valid service name"), "{bad}: {err}");
        }
    }

    #[test]
    fn interface_names_parse_with_and_without_version() {
        let name = InterfaceName::parse("wasi:cli/run@0.2.3").unwrap();
        assert_eq!(name.path(), "wasi:cli/run");
        assert_eq!(name.namespace(), "wasi");
        assert_eq!(name.to_string(), "wasi:cli/run@0.2.3");
        assert_eq!(InterfaceName::parse("a:b/c").unwrap().version(), None);
        for not_interface in ["run", "a:b", "a/b", "a:b/c@x", ":b/c"] {
            assert_eq!(InterfaceName::parse(not_interface), None, "{not_interface}");
        }
    }

    #[test]
    fn versions_match_the_semver_way() {
        let accepts = |import: &str, export: &str| {
            InterfaceName::parse(import).unwrap().accepts(&InterfaceName::parse(export).unwrap())
        };
        assert!(accepts("a:b/c@0.2.0", "a:b/c@0.2.6"));
        assert!(!accepts("a:b/c@0.2.0", "a:b/c@0.3.0"));
        assert!(accepts("a:b/c@1.0.0", "a:b/c@1.4.0"));
        assert!(!accepts("a:b/c@1.0.0", "a:b/c@2.0.0"));
        assert!(!accepts("a:b/c@0.0.1", "a:b/c@0.0.2"));
        assert!(accepts("a:b/c", "a:b/c@3.0.0"));
        assert!(!accepts("a:b/c@1.0.0", "a:b/d@1.0.0"));
    }
}
