//! SQL names (`GetNote`, `created_at`) as WIT names (`get-note`, `created-at`).

/// `name` in WIT's kebab case: words split at `_`, `-`, spaces and lower-to-upper changes, in
/// lower case. The result is a valid WIT identifier only if [`check_wit_name`] says so.
pub fn wit_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if matches!(c, '_' | '-' | ' ') {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            let word_starts =
                c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if word_starts && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    out.trim_end_matches('-').to_owned()
}

/// Checks that `name` (kebab case) is a WIT identifier: words of letters and digits, each
/// starting with a letter.
pub fn check_wit_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.split('-').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if valid {
        Ok(())
    } else {
        Err(format!("`{name}` is not a WIT name (words of letters and digits, each starting with a letter)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_names_become_kebab_case() {
        assert_eq!(wit_name("GetNote"), "get-note");
        assert_eq!(wit_name("created_at"), "created-at");
        assert_eq!(wit_name("listNotesByTag"), "list-notes-by-tag");
        assert_eq!(wit_name("ID"), "id");
        assert_eq!(wit_name("note2_id"), "note2-id");
        assert!(check_wit_name("count(*)").is_err());
        assert!(check_wit_name("2nd").is_err());
        assert!(check_wit_name("note2-id").is_ok());
    }
}
