//! Writing WIT source text, for the WIT the host generates (typed queries, mock control).

/// WIT's keywords, which a name must escape with `%` to be used as an identifier.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "bool",
    "borrow",
    "char",
    "constructor",
    "enum",
    "export",
    "f32",
    "f64",
    "flags",
    "from",
    "func",
    "future",
    "import",
    "include",
    "interface",
    "list",
    "option",
    "own",
    "package",
    "record",
    "resource",
    "result",
    "s16",
    "s32",
    "s64",
    "s8",
    "static",
    "stream",
    "string",
    "tuple",
    "type",
    "u16",
    "u32",
    "u64",
    "u8",
    "use",
    "variant",
    "with",
    "world",
];

/// Whether `name` is one of WIT's keywords.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// `name` as it is written in WIT source: escaped with `%` if it is a keyword.
pub fn wit_source(name: &str) -> String {
    if is_keyword(name) { format!("%{name}") } else { name.to_owned() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_are_escaped_and_other_names_are_not() {
        assert_eq!(super::wit_source("type"), "%type");
        assert_eq!(super::wit_source("title"), "title");
    }
}
