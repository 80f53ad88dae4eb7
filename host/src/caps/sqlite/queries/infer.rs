//! Types of a query's result columns and parameters, inferred from the schema: the service's
//! migrations applied to an in-memory database, each query prepared on it, and a small resolver
//! over the parsed statement (sqlparser's SQLite dialect).
//!
//! - A result column that comes straight from a table has the table column's declared type,
//!   and is nullable unless that column is `NOT NULL` (or the rowid), or when its table is on
//!   the nullable side of an outer join.
//! - An expression column has the type of what it is made of where that is clear (`count(*)`,
//!   `coalesce(x, 0)`, `a || b`, a comparison, `CAST(.. AS T)`); otherwise it is an error that
//!   says to `CAST` it.
//! - A parameter has the type of the column it is compared with, inserted into or assigned to;
//!   one in `LIMIT` or `OFFSET` is an integer; `CAST(@p AS T)` says it outright. It may be NULL
//!   when written `sqlc.narg(p)`, or when it is inserted into or assigned to a nullable column.

use super::names::{check_wit_name, wit_name};
use super::parse::QueryText;
use rusqlite::Connection;
use sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, JoinOperator, ObjectName,
    ObjectNamePart, SelectItem, SetExpr, Statement, TableFactor, Value, Visit, Visitor,
};
use sqlparser::dialect::SQLiteDialect;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

/// The SQL types a query's values have, as parigot maps them to WIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// `s64`.
    Integer,
    /// `f64`.
    Real,
    /// `string` (dates and times too: SQLite keeps them as ISO-8601 text).
    Text,
    /// `list<u8>`.
    Blob,
    /// `bool`, kept as 0 or 1.
    Boolean,
}

impl SqlType {
    /// The type of a column declared `declared`, by SQLite's affinity rules, with `BOOLEAN`
    /// and dates told apart; `None` for a type parigot does not map (or none at all).
    pub fn of_declared(declared: &str) -> Option<SqlType> {
        let upper = declared.to_ascii_uppercase();
        let has = |part: &str| upper.contains(part);
        Some(if has("BOOL") {
            SqlType::Boolean
        } else if has("INT") {
            SqlType::Integer
        } else if has("CHAR") || has("CLOB") || has("TEXT") || has("DATE") || has("TIME") {
            SqlType::Text
        } else if has("BLOB") {
            SqlType::Blob
        } else if has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL") {
            SqlType::Real
        } else {
            return None;
        })
    }
}

/// A type and whether NULL is one of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Typed {
    pub ty: SqlType,
    pub nullable: bool,
}

impl Typed {
    fn not_null(ty: SqlType) -> Typed {
        Typed { ty, nullable: false }
    }
}

/// A named value of a query: a result column or a parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its name in SQL.
    pub name: String,
    /// Its name in WIT.
    pub field: String,
    pub typed: Typed,
}

/// A query with its types.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: QueryText,
    /// Its WIT function name (`get-note`).
    pub function: String,
    /// Its parameters, in the order of their numbers.
    pub params: Vec<Field>,
    /// Its result columns (none for the `:exec` kinds).
    pub columns: Vec<Field>,
}

/// The tables and views of a database, with their columns.
pub struct Schema {
    tables: BTreeMap<String, Vec<SchemaColumn>>,
}

struct SchemaColumn {
    name: String,
    declared: String,
    not_null: bool,
}

impl Schema {
    /// Reads the schema of `connection`'s database.
    pub fn read(connection: &Connection) -> rusqlite::Result<Schema> {
        let mut names = connection
            .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")?;
        let names: Vec<String> = names.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut tables = BTreeMap::new();
        for name in names {
            let mut info = connection.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")?;
            let rows: Vec<(String, String, bool, i64)> = info
                .query_map([&name], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let key_columns = rows.iter().filter(|(_, _, _, pk)| *pk > 0).count();
            let columns = rows
                .into_iter()
                .map(|(column, declared, not_null, pk)| {
                    // An INTEGER PRIMARY KEY is the rowid, never NULL.
                    let rowid = pk > 0 && key_columns == 1 && declared.eq_ignore_ascii_case("INTEGER");
                    SchemaColumn { name: column, declared, not_null: not_null || rowid }
                })
                .collect();
            tables.insert(name.to_ascii_lowercase(), columns);
        }
        Ok(Schema { tables })
    }

    fn column(&self, table: &str, column: &str) -> Option<&SchemaColumn> {
        self.tables.get(&table.to_ascii_lowercase())?.iter().find(|c| c.name.eq_ignore_ascii_case(column))
    }
}

/// Infers the types of `text`'s columns and parameters, preparing it on `connection` (whose
/// database has the schema `schema`). Errors name the query and what to change.
pub fn infer(connection: &Connection, schema: &Schema, text: QueryText, file: &str) -> Result<Query, String> {
    let at = format!("query `{}` ({file}:{})", text.name, text.line);
    let function = wit_name(&text.name);
    check_wit_name(&function).map_err(|why| format!("{at}: its name in WIT, {why}"))?;
    let statement = connection.prepare(&text.sql).map_err(|e| format!("{at}: {}", sqlite_message(e)))?;
    let columns = statement.column_count();
    if text.kind.returns_rows() && columns == 0 {
        return Err(format!("{at} is {} but returns no rows; make it :exec, :execrows or :execlastid", text.kind));
    }
    if !text.kind.returns_rows() && columns > 0 {
        return Err(format!("{at} is {} but returns rows; make it :one or :many", text.kind));
    }
    let parsed = sqlparser::parser::Parser::parse_sql(&SQLiteDialect {}, &text.sql)
        .map_err(|e| e.to_string())
        .and_then(|mut all| if all.len() == 1 { Ok(all.remove(0)) } else { Err("not one statement".into()) });
    let resolver = parsed.as_ref().ok().map(|statement| Resolver::new(statement, schema));
    let cannot_parse = || match &parsed {
        Err(why) => format!(" (parigot cannot read the statement to tell: {why})"),
        Ok(_) => String::new(),
    };

    let metadata = statement.columns_with_metadata();
    let projection = parsed.as_ref().ok().and_then(projection);
    let mut fields: Vec<Field> = Vec::with_capacity(columns);
    for (index, column) in metadata.iter().enumerate() {
        let name = column.name().to_owned();
        let field = wit_name(&name);
        check_wit_name(&field).map_err(|_| {
            format!("{at}: column `{name}` has no name WIT can use; name it with AS, as in `count(*) AS total`")
        })?;
        let from_table = match (column.table_name(), column.origin_name()) {
            (Some(table), Some(origin)) => Some((table, origin)),
            _ => None,
        };
        let typed = match from_table {
            Some((table, origin)) => {
                let declared =
                    schema.column(table, origin).ok_or_else(|| format!("{at}: no column `{table}.{origin}`"))?;
                let ty = declared_type(declared, &format!("{table}.{origin}"), &at)?;
                let outer = resolver.as_ref().is_some_and(|r| r.outer_table(table));
                Typed { ty, nullable: !declared.not_null || outer }
            }
            None => {
                let expr = projection.as_ref().and_then(|items| item_at(items, index, columns));
                match (resolver.as_ref(), expr) {
                    (Some(resolver), Some(expr)) => resolver.expr_type(expr)?,
                    _ => None,
                }
                .ok_or_else(|| {
                    format!(
                        "{at}: cannot tell the type of column `{name}`{}; write it as `CAST(... AS INTEGER)` (or REAL, \
                         TEXT, BLOB, BOOLEAN), wrapped in `coalesce(..., default)` if it is never NULL",
                        cannot_parse()
                    )
                })?
            }
        };
        if let Some(earlier) = fields.iter().find(|f| f.field == field) {
            return Err(format!(
                "{at}: columns `{}` and `{name}` are both `{field}` in WIT; rename one with AS",
                earlier.name
            ));
        }
        fields.push(Field { name, field, typed });
    }

    let mut found = match (&parsed, resolver.as_ref()) {
        (Ok(statement), Some(resolver)) => resolver.params(statement)?,
        _ => BTreeMap::new(),
    };
    let mut params = Vec::with_capacity(text.params.len());
    for (index, param) in text.params.iter().enumerate() {
        let field = wit_name(&param.name);
        check_wit_name(&field).map_err(|why| format!("{at}: parameter `@{}`: {why}", param.name))?;
        let uses = found.remove(&(index + 1)).unwrap_or_default();
        let mut types = uses.iter().map(|t| t.ty).collect::<Vec<_>>();
        types.dedup();
        let typed = match types.as_slice() {
            [ty] => Typed { ty: *ty, nullable: param.nullable || uses.iter().any(|t| t.nullable) },
            [] => {
                return Err(format!(
                    "{at}: cannot tell the type of parameter `@{}`: it is not compared with, inserted into or assigned \
                     to a column, nor a LIMIT or OFFSET{}; write it as `CAST(@{} AS INTEGER)` (or REAL, TEXT, BLOB, \
                     BOOLEAN)",
                    param.name,
                    cannot_parse(),
                    param.name
                ));
            }
            _ => {
                return Err(format!(
                    "{at}: parameter `@{}` is used as {}; use one parameter per type",
                    param.name,
                    types.iter().map(|t| format!("{t:?}").to_uppercase()).collect::<Vec<_>>().join(" and ")
                ));
            }
        };
        if let Some(earlier) = params.iter().find(|p: &&Field| p.field == field) {
            return Err(format!(
                "{at}: parameters `@{}` and `@{}` are both `{field}` in WIT; rename one",
                earlier.name, param.name
            ));
        }
        params.push(Field { name: param.name.clone(), field, typed });
    }
    drop(statement);
    Ok(Query { text, function, params, columns: fields })
}

/// SQLite's message for a statement it refused.
fn sqlite_message(error: rusqlite::Error) -> String {
    match error {
        rusqlite::Error::MultipleStatement => "it holds more than one statement; write one statement per query".into(),
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg,
        error => error.to_string(),
    }
}

fn declared_type(column: &SchemaColumn, name: &str, at: &str) -> Result<SqlType, String> {
    if column.declared.is_empty() {
        return Err(format!(
            "{at}: column `{name}` is declared without a type; give it one (INTEGER, REAL, TEXT, BLOB or BOOLEAN)"
        ));
    }
    SqlType::of_declared(&column.declared).ok_or_else(|| {
        format!(
            "{at}: column `{name}` is declared `{}`, which has no WIT type; declare it INTEGER, REAL, TEXT, BLOB or BOOLEAN",
            column.declared
        )
    })
}

/// The result columns of `statement` as written: a SELECT's projection (its first SELECT's,
/// for a compound one) or a RETURNING clause.
fn projection(statement: &Statement) -> Option<Vec<SelectItem>> {
    fn of_set(set: &SetExpr) -> Option<Vec<SelectItem>> {
        match set {
            SetExpr::Select(select) => Some(select.projection.clone()),
            SetExpr::Query(query) => of_set(&query.body),
            SetExpr::SetOperation { left, .. } => of_set(left),
            _ => None,
        }
    }
    match statement {
        Statement::Query(query) => of_set(&query.body),
        Statement::Insert(insert) => insert.returning.clone(),
        Statement::Update(update) => update.returning.clone(),
        Statement::Delete(delete) => delete.returning.clone(),
        _ => None,
    }
}

/// The expression of result column `index` of `count`, where wildcards leave it findable.
fn item_at(items: &[SelectItem], index: usize, count: usize) -> Option<&Expr> {
    let wildcard = |item: &SelectItem| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..));
    let first = items.iter().position(wildcard).unwrap_or(items.len());
    let last = items.iter().rposition(wildcard);
    let item = if index < first {
        &items[index]
    } else {
        let from_end = count.checked_sub(index + 1)?;
        let position = items.len().checked_sub(from_end + 1)?;
        if last.is_some_and(|last| position <= last) {
            return None;
        }
        &items[position]
    };
    match item {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => Some(expr),
        _ => None,
    }
}

/// What a statement's names refer to: its tables by alias, and which of them are on the
/// nullable side of an outer join.
struct Resolver<'a> {
    schema: &'a Schema,
    /// (alias or name, table), lower case, in the order they appear.
    tables: Vec<(String, String)>,
    /// Aliases and names of tables whose columns may be NULL because of an outer join.
    outer: BTreeSet<String>,
}

impl<'a> Resolver<'a> {
    fn new(statement: &Statement, schema: &'a Schema) -> Resolver<'a> {
        let mut collector = TableCollector::default();
        let _ = statement.visit(&mut collector);
        if let Statement::Insert(insert) = statement
            && let ast::TableObject::TableName(name) = &insert.table
        {
            let table = last_name(name);
            let alias = insert.table_alias.as_ref().map_or(table.clone(), |a| a.alias.value.to_ascii_lowercase());
            collector.tables.push((alias, table));
        }
        Resolver { schema, tables: collector.tables, outer: collector.outer }
    }

    fn outer_table(&self, table: &str) -> bool {
        self.outer.contains(&table.to_ascii_lowercase())
    }

    /// The column `name` refers to (qualified by `qualifier` or not), and whether an outer join
    /// makes it nullable.
    fn column(&self, qualifier: Option<&str>, name: &str) -> Option<(&SchemaColumn, bool)> {
        self.tables.iter().find_map(|(alias, table)| {
            if qualifier.is_some_and(|q| !q.eq_ignore_ascii_case(alias)) {
                return None;
            }
            let column = self.schema.column(table, name)?;
            Some((column, self.outer.contains(alias) || self.outer.contains(table)))
        })
    }

    /// The type of `expr`, if it is clear; an error if it names a column of a type parigot
    /// does not map.
    fn expr_type(&self, expr: &Expr) -> Result<Option<Typed>, String> {
        let reference = match expr {
            Expr::Identifier(name) => Some((None, name.value.as_str())),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                Some((Some(parts[parts.len() - 2].value.as_str()), parts[parts.len() - 1].value.as_str()))
            }
            _ => None,
        };
        if let Some((qualifier, name)) = reference {
            let Some((column, outer)) = self.column(qualifier, name) else { return Ok(None) };
            let ty = declared_type(column, name, "a column")?;
            return Ok(Some(Typed { ty, nullable: !column.not_null || outer }));
        }
        let typed = |e: &Expr| self.expr_type(e);
        let either = |a: Option<Typed>, b: Option<Typed>| a.is_none_or(|a| a.nullable) || b.is_none_or(|b| b.nullable);
        Ok(match expr {
            Expr::Nested(inner) => typed(inner)?,
            Expr::Value(value) => match &value.value {
                Value::Number(n, _) if n.contains(['.', 'e', 'E']) => Some(Typed::not_null(SqlType::Real)),
                Value::Number(..) => Some(Typed::not_null(SqlType::Integer)),
                Value::SingleQuotedString(_) => Some(Typed::not_null(SqlType::Text)),
                Value::Boolean(_) => Some(Typed::not_null(SqlType::Boolean)),
                _ => None,
            },
            Expr::Cast { expr, data_type, .. } => SqlType::of_declared(&data_type.to_string())
                .map(|ty| Ok::<_, String>(Typed { ty, nullable: typed(expr)?.is_none_or(|t| t.nullable) }))
                .transpose()?,
            Expr::IsNull(_) | Expr::IsNotNull(_) | Expr::Exists { .. } => Some(Typed::not_null(SqlType::Boolean)),
            Expr::IsDistinctFrom(..) | Expr::IsNotDistinctFrom(..) => Some(Typed::not_null(SqlType::Boolean)),
            Expr::Between { expr, .. } | Expr::In { expr, .. } | Expr::Like { expr, .. } => {
                Some(Typed { ty: SqlType::Boolean, nullable: typed(expr)?.is_none_or(|t| t.nullable) })
            }
            Expr::UnaryOp { op: ast::UnaryOperator::Not, expr } => {
                Some(Typed { ty: SqlType::Boolean, nullable: typed(expr)?.is_none_or(|t| t.nullable) })
            }
            Expr::UnaryOp { expr, .. } => typed(expr)?,
            Expr::BinaryOp { left, op, right } => {
                let (l, r) = (typed(left)?, typed(right)?);
                let nullable = either(l, r);
                let ty = match op {
                    BinaryOperator::StringConcat => Some(SqlType::Text),
                    BinaryOperator::Plus
                    | BinaryOperator::Minus
                    | BinaryOperator::Multiply
                    | BinaryOperator::Divide
                    | BinaryOperator::Modulo => match (l.map(|t| t.ty), r.map(|t| t.ty)) {
                        (Some(SqlType::Integer), Some(SqlType::Integer)) => Some(SqlType::Integer),
                        (Some(SqlType::Integer | SqlType::Real), Some(SqlType::Integer | SqlType::Real)) => {
                            Some(SqlType::Real)
                        }
                        _ => None,
                    },
                    op if comparison(op) || matches!(op, BinaryOperator::And | BinaryOperator::Or) => {
                        Some(SqlType::Boolean)
                    }
                    _ => None,
                };
                ty.map(|ty| Typed { ty, nullable })
            }
            Expr::Function(function) => self.function_type(function)?,
            Expr::Case { conditions, else_result, .. } => {
                let mut results = conditions.iter().map(|when| typed(&when.result)).collect::<Result<Vec<_>, _>>()?;
                if let Some(otherwise) = else_result {
                    results.push(typed(otherwise)?);
                }
                // Without an ELSE, a CASE that matches nothing is NULL.
                let known: Option<Vec<Typed>> = results.into_iter().collect();
                known.and_then(|known| {
                    let first = *known.first()?;
                    let nullable = else_result.is_none() || known.iter().any(|t| t.nullable);
                    known.iter().all(|t| t.ty == first.ty).then_some(Typed { ty: first.ty, nullable })
                })
            }
            _ => None,
        })
    }

    /// The type of a call of one of SQLite's functions whose result type is clear.
    fn function_type(&self, function: &ast::Function) -> Result<Option<Typed>, String> {
        let name = last_name(&function.name);
        let args: Vec<Option<&Expr>> = match &function.args {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let arg = |i: usize| -> Result<Option<Typed>, String> {
            match args.get(i).copied().flatten() {
                Some(e) => self.expr_type(e),
                None => Ok(None),
            }
        };
        let keep = |t: Option<Typed>, ty: SqlType| t.map(|t| Typed { ty, nullable: t.nullable });
        Ok(match name.as_str() {
            "count" => Some(Typed::not_null(SqlType::Integer)),
            "total" => Some(Typed::not_null(SqlType::Real)),
            "sum" | "min" | "max" | "abs" => arg(0)?.map(|t| Typed { ty: t.ty, nullable: true }),
            "avg" => Some(Typed { ty: SqlType::Real, nullable: true }),
            "length" | "unicode" | "instr" => keep(arg(0)?, SqlType::Integer),
            "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "substr" | "substring" | "replace" | "hex" | "quote" => {
                keep(arg(0)?, SqlType::Text)
            }
            "round" => keep(arg(0)?, SqlType::Real),
            "group_concat" | "string_agg" | "date" | "time" | "datetime" | "strftime" => {
                Some(Typed { ty: SqlType::Text, nullable: true })
            }
            "random" => Some(Typed::not_null(SqlType::Integer)),
            "coalesce" | "ifnull" => {
                let all = (0..args.len()).map(arg).collect::<Result<Vec<_>, _>>()?;
                let first = all.iter().flatten().next().copied();
                first
                    .filter(|f| {
                        all.iter().flatten().all(|t| t.ty == f.ty || t.ty == SqlType::Integer && f.ty == SqlType::Real)
                    })
                    .map(|f| Typed { ty: f.ty, nullable: all.iter().all(|t| t.is_none_or(|t| t.nullable)) })
            }
            _ => None,
        })
    }

    /// What the uses of each parameter (by number) say of its type.
    fn params(&self, statement: &Statement) -> Result<BTreeMap<usize, Vec<Typed>>, String> {
        let mut finder = ParamFinder { resolver: self, found: BTreeMap::new() };
        if let ControlFlow::Break(error) = statement.visit(&mut finder) {
            return Err(error);
        }
        let mut found = finder.found;
        let mut assign = |targets: &[(String, &Expr)], table: &str| {
            for (column, value) in targets {
                if let (Some(number), Some(column)) = (placeholder(value), self.schema.column(table, column))
                    && let Some(ty) = SqlType::of_declared(&column.declared)
                {
                    found.entry(number).or_default().push(Typed { ty, nullable: !column.not_null });
                }
            }
        };
        match statement {
            Statement::Insert(insert) => {
                let ast::TableObject::TableName(name) = &insert.table else { return Ok(found) };
                let table = last_name(name);
                let columns: Vec<String> = insert.columns.iter().map(last_name).collect();
                if let Some(source) = &insert.source
                    && let SetExpr::Values(values) = source.body.as_ref()
                {
                    for row in &values.rows {
                        let targets: Vec<(String, &Expr)> = columns.iter().cloned().zip(row.content.iter()).collect();
                        assign(&targets, &table);
                    }
                }
                if let Some(ast::OnInsert::OnConflict(conflict)) = &insert.on
                    && let ast::OnConflictAction::DoUpdate(update) = &conflict.action
                {
                    assign(&assignments(&update.assignments), &table);
                }
            }
            Statement::Update(update) => {
                if let TableFactor::Table { name, .. } = &update.table.relation {
                    assign(&assignments(&update.assignments), &last_name(name));
                }
            }
            _ => {}
        }
        Ok(found)
    }
}

fn assignments(assignments: &[ast::Assignment]) -> Vec<(String, &Expr)> {
    assignments
        .iter()
        .filter_map(|a| match &a.target {
            ast::AssignmentTarget::ColumnName(name) => Some((last_name(name), &a.value)),
            ast::AssignmentTarget::Tuple(_) => None,
        })
        .collect()
}

fn comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
            | BinaryOperator::Spaceship
    )
}

/// The last part of a (possibly schema-qualified) name, in lower case.
fn last_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_ascii_lowercase(),
        _ => name.to_string().to_ascii_lowercase(),
    }
}

/// The number of parameter `?N` if `expr` is one.
fn placeholder(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Placeholder(text) => text.strip_prefix('?')?.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => placeholder(inner),
        _ => None,
    }
}

/// Collects a statement's tables and the outer-joined ones.
#[derive(Default)]
struct TableCollector {
    tables: Vec<(String, String)>,
    outer: BTreeSet<String>,
}

impl TableCollector {
    /// Marks every table inside `factor` (and the factor's alias) as outer-joined.
    fn mark_outer(&mut self, factor: &TableFactor) {
        let _ = ast::visit_relations(factor, |name| {
            self.outer.insert(last_name(name));
            ControlFlow::<()>::Continue(())
        });
        let alias = match factor {
            TableFactor::Table { alias, .. } | TableFactor::Derived { alias, .. } => alias.as_ref(),
            _ => None,
        };
        if let Some(alias) = alias {
            self.outer.insert(alias.name.value.to_ascii_lowercase());
        }
    }
}

impl Visitor for TableCollector {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, alias, .. } = factor {
            let table = last_name(name);
            let alias = alias.as_ref().map_or(table.clone(), |a| a.name.value.to_ascii_lowercase());
            self.tables.push((alias, table));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &ast::Select) -> ControlFlow<()> {
        for from in &select.from {
            for (index, join) in from.joins.iter().enumerate() {
                let (left, right) = match &join.join_operator {
                    JoinOperator::Left(_) | JoinOperator::LeftOuter(_) => (false, true),
                    JoinOperator::Right(_) | JoinOperator::RightOuter(_) => (true, false),
                    JoinOperator::FullOuter(_) => (true, true),
                    _ => (false, false),
                };
                if right {
                    self.mark_outer(&join.relation);
                }
                if left {
                    self.mark_outer(&from.relation);
                    for earlier in &from.joins[..index] {
                        self.mark_outer(&earlier.relation);
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Finds what each parameter is compared with.
struct ParamFinder<'r, 'a> {
    resolver: &'r Resolver<'a>,
    found: BTreeMap<usize, Vec<Typed>>,
}

impl ParamFinder<'_, '_> {
    /// Records that parameter `param` (if it is one) has the type of `other` (if that is clear).
    fn like(&mut self, param: &Expr, other: &Expr) -> ControlFlow<String> {
        let Some(number) = placeholder(param) else { return ControlFlow::Continue(()) };
        match self.resolver.expr_type(other) {
            Ok(Some(typed)) => self.found.entry(number).or_default().push(Typed { ty: typed.ty, nullable: false }),
            Ok(None) => {}
            Err(error) => return ControlFlow::Break(error),
        }
        ControlFlow::Continue(())
    }

    fn is(&mut self, param: &Expr, ty: SqlType) {
        if let Some(number) = placeholder(param) {
            self.found.entry(number).or_default().push(Typed::not_null(ty));
        }
    }
}

impl Visitor for ParamFinder<'_, '_> {
    type Break = String;

    fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<String> {
        match &query.limit_clause {
            Some(ast::LimitClause::LimitOffset { limit, offset, .. }) => {
                if let Some(limit) = limit {
                    self.is(limit, SqlType::Integer);
                }
                if let Some(offset) = offset {
                    self.is(&offset.value, SqlType::Integer);
                }
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.is(offset, SqlType::Integer);
                self.is(limit, SqlType::Integer);
            }
            None => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        match expr {
            Expr::BinaryOp { left, op, right } if comparison(op) => {
                self.like(left, right)?;
                self.like(right, left)?;
            }
            Expr::Between { expr, low, high, .. } => {
                self.like(low, expr)?;
                self.like(high, expr)?;
                self.like(expr, low)?;
            }
            Expr::In { expr, target: ast::InTarget::List(list), .. } => {
                for item in list {
                    self.like(item, expr)?;
                    self.like(expr, item)?;
                }
            }
            Expr::Like { expr, pattern, .. } => {
                self.is(pattern, SqlType::Text);
                self.is(expr, SqlType::Text);
            }
            Expr::Cast { expr, data_type, .. } => {
                if let Some(ty) = SqlType::of_declared(&data_type.to_string()) {
                    self.is(expr, ty);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}
