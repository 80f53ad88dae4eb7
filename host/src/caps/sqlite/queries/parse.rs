//! The queries file, in sqlc's annotation syntax: each query starts with a line
//! `-- name: GetNote :one`, the comment lines right after it document it, and its statement runs
//! to the next `-- name:` line. Parameters are named, `@id` or `sqlc.arg(id)`, or
//! `sqlc.narg(id)` for one that may be NULL; they become SQLite's `?1`, `?2`... here, one number
//! per name.

use super::names::wit_name;
use std::fmt;

/// What a query returns, from its annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `:one`: the first row, if any.
    One,
    /// `:many`: every row.
    Many,
    /// `:exec`: nothing.
    Exec,
    /// `:execrows`: how many rows it changed.
    ExecRows,
    /// `:execlastid`: the rowid of the row it inserted.
    ExecLastId,
}

impl Kind {
    fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "one" => Kind::One,
            "many" => Kind::Many,
            "exec" => Kind::Exec,
            "execrows" => Kind::ExecRows,
            "execlastid" => Kind::ExecLastId,
            _ => return None,
        })
    }

    /// Whether the query returns rows.
    pub fn returns_rows(self) -> bool {
        matches!(self, Kind::One | Kind::Many)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::One => ":one",
            Kind::Many => ":many",
            Kind::Exec => ":exec",
            Kind::ExecRows => ":execrows",
            Kind::ExecLastId => ":execlastid",
        })
    }
}

/// One query of the file, before its types are known.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryText {
    /// Its name as annotated (`GetNote`).
    pub name: String,
    /// What it returns.
    pub kind: Kind,
    /// The line of its `-- name:` annotation (1-based), for messages.
    pub line: usize,
    /// The comment lines after the annotation, without their `--`.
    pub doc: Vec<String>,
    /// The statement as written, trimmed, without a final `;`.
    pub written: String,
    /// The statement with its parameters numbered (`?1`, `?2`...), as SQLite runs it.
    pub sql: String,
    /// Its parameters, in the order of their numbers.
    pub params: Vec<NamedParam>,
}

/// A named parameter of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedParam {
    /// The name as written (`id`).
    pub name: String,
    /// Written as `sqlc.narg(..)`: it may be NULL.
    pub nullable: bool,
}

/// Reads the queries of `text` (the contents of `file`, named in errors).
pub fn parse_queries(text: &str, file: &str) -> Result<Vec<QueryText>, String> {
    let mut queries: Vec<QueryText> = Vec::new();
    let mut current: Option<(QueryText, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(annotation) = annotation(line) {
            if let Some(done) = current.take() {
                queries.push(finish(done, file)?);
            }
            let (name, kind) = parse_annotation(annotation).map_err(|why| format!("{file}:{number}: {why}"))?;
            if let Some(earlier) = queries.iter().find(|q| wit_name(&q.name) == wit_name(&name)) {
                return Err(format!(
                    "{file}:{number}: a query named `{name}` is already defined on line {}; give each query a name of its own",
                    earlier.line
                ));
            }
            let query = QueryText {
                name,
                kind,
                line: number,
                doc: Vec::new(),
                written: String::new(),
                sql: String::new(),
                params: Vec::new(),
            };
            current = Some((query, Vec::new()));
            continue;
        }
        let Some((query, body)) = current.as_mut() else { continue }; // the file's own header
        match line.trim_start().strip_prefix("--") {
            Some(comment) if body.is_empty() => query.doc.push(comment.trim().to_owned()),
            _ => body.push(line),
        }
    }
    if let Some(done) = current.take() {
        queries.push(finish(done, file)?);
    }
    if queries.is_empty() {
        return Err(format!("{file} has no queries: start each one with a line `-- name: GetThing :one`"));
    }
    Ok(queries)
}

/// The text after `-- name:` if `line` is a query's annotation.
fn annotation(line: &str) -> Option<&str> {
    let comment = line.trim_start().strip_prefix("--")?.trim_start();
    comment.strip_prefix("name:")
}

fn parse_annotation(annotation: &str) -> Result<(String, Kind), String> {
    let mut words = annotation.split_whitespace();
    let (Some(name), Some(kind), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "`-- name:{annotation}` should be a name and a kind, as in `-- name: GetNote :one` \
             (kinds: :one, :many, :exec, :execrows, :execlastid)"
        ));
    };
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(format!("`{name}` is not a valid query name: use letters, digits and `_`, as in `GetNote`"));
    }
    let kind = kind.strip_prefix(':').and_then(Kind::parse).ok_or_else(|| {
        format!("query `{name}`: `{kind}` is not a kind of query; use :one, :many, :exec, :execrows or :execlastid")
    })?;
    Ok((name.to_owned(), kind))
}

fn finish((mut query, body): (QueryText, Vec<&str>), file: &str) -> Result<QueryText, String> {
    let written = body.join("\n");
    let written = written.trim().trim_end_matches(';').trim_end();
    if written.is_empty() {
        return Err(format!("{file}:{}: query `{}` has no statement", query.line, query.name));
    }
    query.written = written.to_owned();
    let (sql, params) =
        number_params(written).map_err(|why| format!("{file}:{}: query `{}`: {why}", query.line, query.name))?;
    query.sql = sql;
    query.params = params;
    Ok(query)
}

/// Rewrites the named parameters of `sql` as `?N`, one number per name, leaving string
/// literals, quoted names and comments alone.
fn number_params(sql: &str) -> Result<(String, Vec<NamedParam>), String> {
    let mut out = String::with_capacity(sql.len());
    let mut params: Vec<NamedParam> = Vec::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if let Some(skipped) = skip_literal(rest) {
            out.push_str(&rest[..skipped]);
            rest = &rest[skipped..];
            continue;
        }
        let param = if c == '@' {
            let name = identifier(&rest[1..]);
            (!name.is_empty()).then(|| (name.to_owned(), false, 1 + name.len()))
        } else {
            sqlc_call(rest)
        };
        if let Some((name, nullable, length)) = param {
            let number = match params.iter().position(|p| p.name == name) {
                Some(index) => {
                    params[index].nullable |= nullable;
                    index + 1
                }
                None => {
                    params.push(NamedParam { name, nullable });
                    params.len()
                }
            };
            out.push_str(&format!("?{number}"));
            rest = &rest[length..];
            continue;
        }
        if matches!(c, '?' | ':' | '$') && rest[1..].starts_with(|n: char| n.is_ascii_alphanumeric() || n == '_')
            || c == '?'
        {
            let shown: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ',' && *c != ')').collect();
            return Err(format!(
                "parameter `{shown}`: name parameters `@name` (or `sqlc.arg(name)`, `sqlc.narg(name)` for one \
                 that may be NULL), so that they have names in the generated WIT"
            ));
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok((out, params))
}

/// The length of the string literal, quoted name or comment at the start of `text`, if one
/// starts there.
fn skip_literal(text: &str) -> Option<usize> {
    let close = match text.as_bytes().first()? {
        b'\'' => "'",
        b'"' => "\"",
        b'`' => "`",
        b'[' => "]",
        b'-' if text.starts_with("--") => "\n",
        b'/' if text.starts_with("/*") => "*/",
        _ => return None,
    };
    let open = if close.len() == 2 || close == "\n" { 2 } else { 1 };
    // A doubled quote inside a literal is an escaped quote: searching on finds the real end.
    let mut at = open;
    loop {
        match text[at..].find(close) {
            None => return Some(text.len()),
            Some(found) => {
                at += found + close.len();
                let doubled = close.len() == 1 && close != "]" && text[at..].starts_with(close);
                if !doubled {
                    return Some(at);
                }
                at += close.len();
            }
        }
    }
}

/// The identifier at the start of `text` (letters, digits, `_`).
fn identifier(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// `sqlc.arg(name)` or `sqlc.narg(name)` at the start of `text`: the name, whether it may be
/// NULL, and the length of the call.
fn sqlc_call(text: &str) -> Option<(String, bool, usize)> {
    let head = text.get(..5)?;
    if !head.eq_ignore_ascii_case("sqlc.") {
        return None;
    }
    let after = &text[5..];
    let function = identifier(after);
    let nullable = match function.to_ascii_lowercase().as_str() {
        "arg" => false,
        "narg" => true,
        _ => return None,
    };
    let inside = after[function.len()..].trim_start().strip_prefix('(')?;
    let close = inside.find(')')?;
    let name = inside[..close].trim().trim_matches(|c| c == '\'' || c == '"');
    if name.is_empty() || identifier(name) != name {
        return None;
    }
    let length = text.len() - inside.len() + close + 1;
    Some((name.to_owned(), nullable, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_split_at_their_annotations_with_their_docs() {
        let text = "-- the file's header\n\n-- name: GetNote :one\n-- One note.\nSELECT * FROM notes\nWHERE id = @id;\n\n\
                    -- name: DeleteNote :execrows\nDELETE FROM notes WHERE id = sqlc.arg(id)\n";
        let queries = parse_queries(text, "q.sql").unwrap();
        assert_eq!(queries.len(), 2);
        assert_eq!((queries[0].name.as_str(), queries[0].kind, queries[0].line), ("GetNote", Kind::One, 3));
        assert_eq!(queries[0].doc, ["One note."]);
        assert_eq!(queries[0].sql, "SELECT * FROM notes\nWHERE id = ?1");
        assert_eq!(queries[1].sql, "DELETE FROM notes WHERE id = ?1");
        assert_eq!(queries[1].params, [NamedParam { name: "id".into(), nullable: false }]);
    }

    #[test]
    fn parameters_are_numbered_by_name_outside_literals() {
        let (sql, params) = number_params(
            "SELECT '@not' AS \"@nor\", x FROM t WHERE a = @a AND (sqlc.narg('b') IS NULL OR b = sqlc.narg(b)) \
             AND c = @a -- @comment",
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT '@not' AS \"@nor\", x FROM t WHERE a = ?1 AND (?2 IS NULL OR b = ?2) AND c = ?1 -- @comment"
        );
        assert_eq!(
            params,
            [NamedParam { name: "a".into(), nullable: false }, NamedParam { name: "b".into(), nullable: true }]
        );
        let (sql, _) = number_params("SELECT 'it''s @x' WHERE y = @y").unwrap();
        assert_eq!(sql, "SELECT 'it''s @x' WHERE y = ?1");
    }

    #[test]
    fn positional_parameters_and_bad_annotations_are_refused_with_the_fix() {
        let error = number_params("SELECT * FROM t WHERE a = ?").unwrap_err();
        assert!(error.contains("parameter `?`: name parameters `@name`"), "{error}");
        assert!(number_params("SELECT * FROM t WHERE a = :a").unwrap_err().contains("`:a`"));
        let error = parse_queries("-- name: GetNote :first\nSELECT 1", "q.sql").unwrap_err();
        assert_eq!(
            error,
            "q.sql:1: query `GetNote`: `:first` is not a kind of query; use :one, :many, :exec, :execrows or :execlastid"
        );
        let error = parse_queries("-- name: A :one\nSELECT 1\n-- name: a :one\nSELECT 2", "q.sql").unwrap_err();
        assert!(error.starts_with("q.sql:3: a query named `a` is already defined on line 1"), "{error}");
        assert!(parse_queries("-- name: Empty :exec\n", "q.sql").unwrap_err().contains("has no statement"));
        assert!(parse_queries("SELECT 1", "q.sql").unwrap_err().contains("has no queries"));
    }
}
