//! Typed queries across the canonical ABI without dynamic values: parameters lifted straight
//! into SQLite values, and rows kept in one flat [`RowSet`] and written straight into the
//! guest's memory at the offsets the component's own types give.
//!
//! A query's shape is known only when the host reads the queries file, so these types stand
//! for a whole parameter list ([`Params`]) or a whole result list ([`Returns`]), and walk the
//! component's types as they lift and lower. wasmtime's typed host functions check them when a
//! service is linked, and the lowering checks each value against its WIT type again (a row
//! that does not match is an error, never a wrong write).
//!
//! Results always reach the guest through memory: every query's result is a `result<_,
//! db-error>`, which flattens to more values than a function may return flat, so wasmtime
//! hands [`Returns`] the return area it checked against the component's types, and reads no
//! size of its own from it.

use super::infer::{Field, SqlType};
use crate::caps::sqlite::Failure;
use rusqlite::types::{Value, ValueRef};
use std::mem::MaybeUninit;
use wasmtime::component::__internal::wasmtime_environ::component::MAX_FLAT_PARAMS;
use wasmtime::component::__internal::{
    CanonicalAbiInfo, ComponentTypes, InstanceType, InterfaceType, LiftContext, LowerContext, bad_type_info,
};
use wasmtime::component::{ComponentNamedList, ComponentType, Lift, Lower};
use wasmtime::{Result, ValRaw, bail};

/// One value of a row, as SQLite gave it; text and blobs point into their [`RowSet`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Null,
    /// An integer, or a boolean as 0 or 1.
    Int(i64),
    Real(f64),
    Text {
        start: usize,
        end: usize,
    },
    Blob {
        start: usize,
        end: usize,
    },
}

/// The rows of a query: every cell in one vector, row after row, and the text and blob bytes
/// in one buffer each.
#[derive(Debug, Default)]
pub struct RowSet {
    columns: usize,
    cells: Vec<Cell>,
    text: String,
    blobs: Vec<u8>,
}

impl RowSet {
    /// No rows yet, of `columns` columns.
    pub fn new(columns: usize) -> RowSet {
        RowSet { columns, ..RowSet::default() }
    }

    /// Adds `value` as the next cell of the row under way, checked against `column` (of query
    /// `function`); returns how many bytes the host now holds for it.
    pub fn push(&mut self, function: &str, column: &Field, value: ValueRef<'_>) -> Result<usize, Failure> {
        let cell = match (column.typed.ty, value) {
            (_, ValueRef::Null) if column.typed.nullable => Cell::Null,
            (_, ValueRef::Null) => {
                return Err(Failure::Sql(format!(
                    "column `{}` of `{function}` is NULL, which its NOT NULL type does not allow; declare it nullable",
                    column.name
                )));
            }
            (SqlType::Integer | SqlType::Boolean, ValueRef::Integer(n)) => Cell::Int(n),
            (SqlType::Real, ValueRef::Real(x)) => Cell::Real(x),
            (SqlType::Real, ValueRef::Integer(n)) => Cell::Real(n as f64),
            (SqlType::Text, ValueRef::Text(text)) => {
                let start = self.text.len();
                self.text.push_str(&String::from_utf8_lossy(text));
                Cell::Text { start, end: self.text.len() }
            }
            (SqlType::Blob, ValueRef::Blob(bytes)) => {
                let start = self.blobs.len();
                self.blobs.extend_from_slice(bytes);
                Cell::Blob { start, end: self.blobs.len() }
            }
            (ty, value) => {
                return Err(Failure::Sql(format!(
                    "column `{}` of `{function}` holds a {:?} value where its declared type is {ty:?}; store values of \
                     the declared type (a STRICT table enforces it)",
                    column.name,
                    value.data_type()
                )));
            }
        };
        self.cells.push(cell);
        Ok(std::mem::size_of::<Cell>() + held_bytes(value))
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.cells.len().checked_div(self.columns).unwrap_or(0)
    }

    /// The cells of row `index`.
    fn row(&self, index: usize) -> &[Cell] {
        &self.cells[index * self.columns..][..self.columns]
    }
}

/// The bytes of text or blob a value brings.
fn held_bytes(value: ValueRef<'_>) -> usize {
    match value {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.len(),
        _ => 0,
    }
}

/// What a query answers, before it is lowered.
#[derive(Debug)]
pub enum Outcome {
    /// `:exec`: `result<_, db-error>`.
    Done,
    /// `:execrows`: `result<u64, db-error>`.
    Changed(u64),
    /// `:execlastid`: `result<s64, db-error>`.
    LastId(i64),
    /// `:one`: `result<option<row>, db-error>`, from a set of no row or one.
    One(RowSet),
    /// `:many`: `result<list<row>, db-error>`.
    Many(RowSet),
}

/// `db-error`: why the database failed a query (its cases are [`super::DB_ERROR_CASES`]).
#[derive(Debug, ComponentType, Lower)]
#[component(variant)]
pub enum DbError {
    #[component(name = "sql")]
    Sql(String),
    #[component(name = "constraint")]
    Constraint(String),
    #[component(name = "busy")]
    Busy(String),
    #[component(name = "full")]
    Full(String),
    #[component(name = "limit")]
    Limit(String),
}

/// A query's whole result list: `(result<T, db-error>)`, for any `T` a query answers.
pub struct Returns(pub Result<Outcome, DbError>);

// SAFETY: `Returns` is only ever lowered into memory (see the module's documentation): its
// `Lower` is never read, and its lowering writes only at offsets taken from the component's
// types, inside the return area wasmtime checked against them.
unsafe impl ComponentType for Returns {
    type Lower = [ValRaw; 0];
    const ABI: CanonicalAbiInfo = CanonicalAbiInfo { size32: 0, align32: 1, size64: 0, align64: 1, flat_count: None };

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> Result<()> {
        let InterfaceType::Tuple(tuple) = ty else { bail!("a query's results are a tuple") };
        let [InterfaceType::Result(result)] = &types.types[*tuple].types[..] else {
            bail!("a query returns one `result`")
        };
        let result = &types.types[*result];
        let Some(error) = &result.err else { bail!("a query's error is `db-error`") };
        <DbError as ComponentType>::typecheck(error, types)?;
        match &result.ok {
            None | Some(InterfaceType::U64 | InterfaceType::S64) => Ok(()),
            Some(InterfaceType::List(list)) => check_row(&types.types[*list].element, types.types),
            Some(InterfaceType::Option(option)) => check_row(&types.types[*option].ty, types.types),
            Some(other) => bail!("a query does not return {other:?}"),
        }
    }
}

// SAFETY: a marker that `Returns` stands for a whole result list, which its typecheck checks.
unsafe impl ComponentNamedList for Returns {}

// SAFETY: see `ComponentType` above.
unsafe impl Lower for Returns {
    fn linear_lower_to_flat<T>(
        &self,
        _cx: &mut LowerContext<'_, T>,
        _ty: InterfaceType,
        _dst: &mut MaybeUninit<[ValRaw; 0]>,
    ) -> Result<()> {
        bail!("a query's result is returned through memory")
    }

    fn linear_lower_to_memory<T>(&self, cx: &mut LowerContext<'_, T>, ty: InterfaceType, offset: usize) -> Result<()> {
        let types: &ComponentTypes = cx.types;
        let InterfaceType::Tuple(tuple) = ty else { bad_type_info() };
        let Some(&InterfaceType::Result(result)) = types[tuple].types.first() else { bad_type_info() };
        let result = &types[result];
        let payload = offset + result.info.payload_offset32 as usize;
        match &self.0 {
            Err(error) => {
                cx.get::<1>(offset)[0] = 1;
                error.linear_lower_to_memory(cx, result.err.unwrap_or_else(|| bad_type_info()), payload)
            }
            Ok(outcome) => {
                cx.get::<1>(offset)[0] = 0;
                lower_outcome(cx, outcome, result.ok, payload)
            }
        }
    }
}

/// Writes `outcome` as the `ok` payload of WIT type `ty` at `offset`.
fn lower_outcome<T>(
    cx: &mut LowerContext<'_, T>,
    outcome: &Outcome,
    ty: Option<InterfaceType>,
    offset: usize,
) -> Result<()> {
    let types: &ComponentTypes = cx.types;
    match (outcome, ty) {
        (Outcome::Done, None) => Ok(()),
        (Outcome::Changed(n), Some(ty @ InterfaceType::U64)) => n.linear_lower_to_memory(cx, ty, offset),
        (Outcome::LastId(n), Some(ty @ InterfaceType::S64)) => n.linear_lower_to_memory(cx, ty, offset),
        (Outcome::One(rows), Some(InterfaceType::Option(_))) if rows.len() == 0 => {
            cx.get::<1>(offset)[0] = 0;
            Ok(())
        }
        (Outcome::One(rows), Some(InterfaceType::Option(option))) => {
            let option = &types[option];
            cx.get::<1>(offset)[0] = 1;
            lower_row(cx, option.ty, rows, 0, offset + option.info.payload_offset32 as usize)
        }
        (Outcome::Many(rows), Some(InterfaceType::List(list))) => {
            let element = types[list].element;
            let size = types.canonical_abi(&element).size32 as usize;
            let align = types.canonical_abi(&element).align32;
            let bytes = rows.len().checked_mul(size).ok_or_else(|| wasmtime::format_err!("too many rows"))?;
            let start = cx.realloc(0, 0, align, bytes)?;
            for index in 0..rows.len() {
                lower_row(cx, element, rows, index, start + index * size)?;
            }
            *cx.get::<4>(offset) = u32::try_from(start)?.to_le_bytes();
            *cx.get::<4>(offset + 4) = u32::try_from(rows.len())?.to_le_bytes();
            Ok(())
        }
        _ => {
            bail!("the query's answer does not fit its WIT result; rebuild the service against its current queries WIT")
        }
    }
}

/// Writes row `index` of `rows` as WIT type `ty` (a record, or the type of the only column)
/// at `offset`.
fn lower_row<T>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    rows: &RowSet,
    index: usize,
    offset: usize,
) -> Result<()> {
    let types: &ComponentTypes = cx.types;
    let cells = rows.row(index);
    match ty {
        InterfaceType::Record(record) => {
            let fields = &types[record].fields;
            if fields.len() != cells.len() {
                bail!("the row record has {} fields for {} columns; rebuild the service", fields.len(), cells.len());
            }
            let mut at = offset;
            for (field, cell) in fields.iter().zip(cells) {
                let field_at = types.canonical_abi(&field.ty).next_field32_size(&mut at);
                lower_cell(cx, field.ty, *cell, rows, field_at)?;
            }
            Ok(())
        }
        ty => lower_cell(cx, ty, cells[0], rows, offset),
    }
}

/// Writes one cell as WIT type `ty` at `offset`.
fn lower_cell<T>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    cell: Cell,
    rows: &RowSet,
    offset: usize,
) -> Result<()> {
    let types: &ComponentTypes = cx.types;
    match (ty, cell) {
        (InterfaceType::Option(_), Cell::Null) => {
            cx.get::<1>(offset)[0] = 0;
            Ok(())
        }
        (InterfaceType::Option(option), cell) => {
            let option = &types[option];
            cx.get::<1>(offset)[0] = 1;
            lower_cell(cx, option.ty, cell, rows, offset + option.info.payload_offset32 as usize)
        }
        (InterfaceType::S64, Cell::Int(n)) => n.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Bool, Cell::Int(n)) => (n != 0).linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Float64, Cell::Real(x)) => x.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::String, Cell::Text { start, end }) => {
            <str as Lower>::linear_lower_to_memory(&rows.text[start..end], cx, ty, offset)
        }
        (InterfaceType::List(_), Cell::Blob { start, end }) => {
            <[u8] as Lower>::linear_lower_to_memory(&rows.blobs[start..end], cx, ty, offset)
        }
        (ty, cell) => bail!("a {cell:?} does not fit the WIT type {ty:?}; rebuild the service against its queries WIT"),
    }
}

/// Whether `ty` is a row type a query may answer: a record of column types, or one column type.
fn check_row(ty: &InterfaceType, types: &ComponentTypes) -> Result<()> {
    match ty {
        InterfaceType::Record(record) => {
            types[*record].fields.iter().try_for_each(|field| check_value(&field.ty, types))
        }
        other => check_value(other, types),
    }
}

/// Whether `ty` is a column or parameter type: `s64`, `f64`, `bool`, `string`, `list<u8>`, or
/// an `option` of one of them.
fn check_value(ty: &InterfaceType, types: &ComponentTypes) -> Result<()> {
    match ty {
        InterfaceType::S64 | InterfaceType::Float64 | InterfaceType::Bool | InterfaceType::String => Ok(()),
        InterfaceType::List(list) if types[*list].element == InterfaceType::U8 => Ok(()),
        InterfaceType::Option(option) if !matches!(types[*option].ty, InterfaceType::Option(_)) => {
            check_value(&types[*option].ty, types)
        }
        other => bail!("a query's values are not {other:?}"),
    }
}

/// A query's whole parameter list, lifted into SQLite values; `N` is how many flat values the
/// guest passes (0 when they are passed in memory, past [`MAX_FLAT_PARAMS`]).
pub struct Params<const N: usize>(pub Vec<Value>);

// SAFETY: `Lower` is exactly the `N` flat values the typecheck requires the parameters to
// flatten to; in memory (`N` = 0) the lifting reads only what the component's types place in
// the area wasmtime checked against them.
unsafe impl<const N: usize> ComponentType for Params<N> {
    type Lower = [ValRaw; N];
    const ABI: CanonicalAbiInfo =
        CanonicalAbiInfo { size32: 0, align32: 1, size64: 0, align64: 1, flat_count: Some(N as u8) };

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> Result<()> {
        let InterfaceType::Tuple(tuple) = ty else { bail!("a query's parameters are a tuple") };
        let tuple = &types.types[*tuple];
        match tuple.abi.flat_count(MAX_FLAT_PARAMS) {
            Some(count) if count == N && N > 0 => {}
            None if N == 0 => {}
            Some(0) if N == 0 => {}
            other => bail!("the parameters flatten to {other:?} values, not {N}"),
        }
        tuple.types.iter().try_for_each(|ty| check_value(ty, types.types))
    }
}

// SAFETY: a marker that `Params` stands for a whole parameter list, which its typecheck checks.
unsafe impl<const N: usize> ComponentNamedList for Params<N> {}

// SAFETY: see `ComponentType` above.
unsafe impl<const N: usize> Lift for Params<N> {
    fn linear_lift_from_flat(cx: &mut LiftContext<'_>, ty: InterfaceType, src: &[ValRaw; N]) -> Result<Self> {
        let InterfaceType::Tuple(tuple) = ty else { bad_type_info() };
        let types: &ComponentTypes = cx.types;
        let mut flat = Flat { values: src, next: 0 };
        let values = types[tuple].types.iter().map(|ty| flat.lift(cx, types, *ty)).collect::<Result<_>>()?;
        Ok(Params(values))
    }

    fn linear_lift_from_memory(cx: &mut LiftContext<'_>, ty: InterfaceType, bytes: &[u8]) -> Result<Self> {
        let InterfaceType::Tuple(tuple) = ty else { bad_type_info() };
        let types: &ComponentTypes = cx.types;
        let memory = cx.memory();
        // `bytes` is empty (this type claims no size) and starts where the parameters do.
        let mut at = bytes.as_ptr() as usize - memory.as_ptr() as usize;
        let mut values = Vec::with_capacity(types[tuple].types.len());
        for ty in types[tuple].types.iter() {
            let abi = types.canonical_abi(ty);
            let start = abi.next_field32_size(&mut at);
            let field = memory.get(start..start + abi.size32 as usize);
            let field = field.ok_or_else(|| wasmtime::format_err!("a parameter lies outside the memory"))?;
            values.push(lift_from_memory(cx, types, *ty, field)?);
        }
        Ok(Params(values))
    }
}

/// Flat parameter values, taken in order.
struct Flat<'a> {
    values: &'a [ValRaw],
    next: usize,
}

impl Flat<'_> {
    fn take<const K: usize>(&mut self) -> Result<&[ValRaw; K]> {
        let taken = self.values.get(self.next..self.next + K).ok_or_else(|| wasmtime::format_err!("too few values"))?;
        self.next += K;
        Ok(taken.try_into().expect("K values"))
    }

    /// Lifts the next value, of WIT type `ty`.
    fn lift(&mut self, cx: &mut LiftContext<'_>, types: &ComponentTypes, ty: InterfaceType) -> Result<Value> {
        Ok(match ty {
            InterfaceType::S64 => Value::Integer(i64::linear_lift_from_flat(cx, ty, &self.take::<1>()?[0])?),
            InterfaceType::Float64 => Value::Real(f64::linear_lift_from_flat(cx, ty, &self.take::<1>()?[0])?),
            InterfaceType::Bool => Value::Integer(bool::linear_lift_from_flat(cx, ty, &self.take::<1>()?[0])?.into()),
            InterfaceType::String => Value::Text(String::linear_lift_from_flat(cx, ty, self.take::<2>()?)?),
            InterfaceType::List(_) => Value::Blob(Vec::<u8>::linear_lift_from_flat(cx, ty, self.take::<2>()?)?),
            InterfaceType::Option(option) => {
                let inner = types[option].ty;
                let width = types.canonical_abi(&inner).flat_count(usize::MAX).unwrap_or(0);
                match self.take::<1>()?[0].get_i32() {
                    0 => {
                        self.next += width;
                        Value::Null
                    }
                    1 => self.lift(cx, types, inner)?,
                    _ => bail!("invalid option discriminant"),
                }
            }
            _ => bad_type_info(),
        })
    }
}

/// Lifts a value of WIT type `ty` from its `bytes` in memory.
fn lift_from_memory(
    cx: &mut LiftContext<'_>,
    types: &ComponentTypes,
    ty: InterfaceType,
    bytes: &[u8],
) -> Result<Value> {
    Ok(match ty {
        InterfaceType::S64 => Value::Integer(i64::linear_lift_from_memory(cx, ty, bytes)?),
        InterfaceType::Float64 => Value::Real(f64::linear_lift_from_memory(cx, ty, bytes)?),
        InterfaceType::Bool => Value::Integer(bool::linear_lift_from_memory(cx, ty, bytes)?.into()),
        InterfaceType::String => Value::Text(String::linear_lift_from_memory(cx, ty, bytes)?),
        InterfaceType::List(_) => Value::Blob(Vec::<u8>::linear_lift_from_memory(cx, ty, bytes)?),
        InterfaceType::Option(option) => match bytes[0] {
            0 => Value::Null,
            1 => {
                let option = &types[option];
                let size = types.canonical_abi(&option.ty).size32 as usize;
                lift_from_memory(cx, types, option.ty, &bytes[option.info.payload_offset32 as usize..][..size])?
            }
            _ => bail!("invalid option discriminant"),
        },
        _ => bad_type_info(),
    })
}
