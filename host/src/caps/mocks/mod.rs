//! Mocks: an interface a wos lists under `[mocks]` is not linked to a provider; the host
//! answers every importer's calls itself, from the interface's own types, with no code
//! written for it. Each function answers from a queue of results in WAVE, filled from the wos
//! (`[mocks."ns:pkg/iface"] function = ["answer", ...]`) and by tests at run time through
//! `parigot:test/mocks` (`answer`); every call is recorded with its arguments in WAVE
//! (`calls`). A call with no answer left fails, naming the function and its arguments.
//!
//! ```toml
//! [mocks."example:shop/stock"]
//! reserve = ["ok", "err(out-of-stock)"]
//! ```
//!
//! The queues and records belong to one start of the wos (`parigot-host test` starts it
//! afresh for every test).

use super::View;
use crate::manifest::InterfaceName;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use wasmtime::component::{Linker, Val};
use wasmtime::{Result, bail};

/// The control interface tests use.
pub const CONTROL_INTERFACE: &str = "parigot:test/mocks@0.1.0";

/// The capability: every test component may steer the mocks of its wos.
pub const CAPABILITY: super::Capability =
    super::Capability { name: "the mocks of the wos", interfaces: &[CONTROL_INTERFACE], grant_key: None };

/// `[mocks]`: per mocked interface, per function, the answers in WAVE.
pub type MockTable = BTreeMap<InterfaceName, BTreeMap<String, Vec<String>>>;

/// Whether `table` mocks `import` (any compatible version).
pub fn mocks(table: &MockTable, import: &InterfaceName) -> bool {
    table.keys().any(|mocked| mocked.accepts(import))
}

/// Whether `import` is the control interface, in any version.
pub fn is_control(import: &InterfaceName) -> bool {
    CONTROL_INTERFACE.split('@').next() == Some(import.path())
}

/// The answers and calls of every mocked function, for one start of a wos.
#[derive(Debug, Default)]
pub struct MockBook {
    /// By (interface without version, function).
    functions: Mutex<BTreeMap<(String, String), MockFunction>>,
    /// The mocked interfaces (without version).
    interfaces: Vec<String>,
}

#[derive(Debug, Default)]
struct MockFunction {
    answers: VecDeque<String>,
    calls: Vec<String>,
}

impl MockBook {
    /// The book of a wos's `[mocks]`, its queues filled with the answers given there.
    pub fn new(table: &MockTable) -> MockBook {
        let mut functions = BTreeMap::new();
        for (interface, answers) in table {
            for (function, queued) in answers {
                let entry = MockFunction { answers: queued.iter().cloned().collect(), calls: Vec::new() };
                functions.insert((interface.path().to_owned(), function.clone()), entry);
            }
        }
        MockBook { functions: Mutex::new(functions), interfaces: table.keys().map(|i| i.path().to_owned()).collect() }
    }

    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<(String, String), MockFunction>) -> R) -> R {
        f(&mut self.functions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Records a call of `function` of `interface` with `args` (WAVE) and takes its answer.
    fn call(&self, interface: &str, function: &str, args: String) -> Option<String> {
        self.with(|functions| {
            let entry = functions.entry((interface.to_owned(), function.to_owned())).or_default();
            entry.calls.push(args);
            entry.answers.pop_front()
        })
    }

    /// Queues `answer` for the next call of `function` of `interface`.
    fn answer(&self, interface: &str, function: &str, answer: String) -> Result<(), String> {
        let path = interface.split('@').next().unwrap_or(interface);
        if !self.interfaces.iter().any(|mocked| mocked == path) {
            return Err(format!(
                "`{interface}` is not mocked; list it under `[mocks]` in the wos (mocked: {})",
                if self.interfaces.is_empty() { "none".to_owned() } else { self.interfaces.join(", ") }
            ));
        }
        self.with(|functions| {
            functions.entry((path.to_owned(), function.to_owned())).or_default().answers.push_back(answer)
        });
        Ok(())
    }

    /// The calls of `function` of `interface` so far, each its arguments in WAVE.
    fn calls(&self, interface: &str, function: &str) -> Vec<String> {
        let path = interface.split('@').next().unwrap_or(interface);
        self.with(|functions| functions.get(&(path.to_owned(), function.to_owned())).map(|f| f.calls.clone()))
            .unwrap_or_default()
    }
}

/// Defines every function of the mocked `import` (the name the service imports it by) in
/// `linker`, answering from the book `view` reaches.
pub fn add_mock_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    import: &InterfaceName,
    functions: &[String],
    view: fn(&mut T) -> View<'_>,
) -> Result<()> {
    let mut instance = linker.instance(&import.to_string())?;
    let path = import.path().to_owned();
    for function in functions {
        let (path, function) = (path.clone(), function.clone());
        instance.func_new(&function.clone(), move |mut store, ty, params, results| {
            let args = params.iter().map(Val::to_wave).collect::<Result<Vec<_>>>()?.join(", ");
            let book = &view(store.data_mut()).service.mocks;
            let Some(answer) = book.call(&path, &function, format!("({args})")) else {
                bail!(
                    "unexpected call of the mock `{path}#{function}({args})`: it has no answer left; queue one with \
                     `parigot:test/mocks#answer` or under `[mocks]` in the wos"
                );
            };
            for (slot, result_type) in results.iter_mut().zip(ty.results()) {
                *slot = Val::from_wave(&result_type, &answer).map_err(|e| {
                    wasmtime::format_err!(
                        "the mock's answer `{answer}` for `{path}#{function}` is not its result type: {e}"
                    )
                })?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Defines `parigot:test/mocks` in `linker`, steering the book `view` reaches.
pub fn add_control_to_linker<T: 'static>(linker: &mut Linker<T>, view: fn(&mut T) -> View<'_>) -> Result<()> {
    let mut instance = linker.instance(CONTROL_INTERFACE)?;
    instance.func_new("answer", move |mut store, _ty, params, results| {
        let [Val::String(interface), Val::String(function), Val::String(answer)] = params else {
            bail!("`{CONTROL_INTERFACE}#answer` takes three strings");
        };
        let queued = view(store.data_mut()).service.mocks.answer(interface, function, answer.clone());
        results[0] = Val::Result(queued.map(|()| None).map_err(|why| Some(Box::new(Val::String(why)))));
        Ok(())
    })?;
    instance.func_new("calls", move |mut store, _ty, params, results| {
        let [Val::String(interface), Val::String(function)] = params else {
            bail!("`{CONTROL_INTERFACE}#calls` takes two strings");
        };
        let calls = view(store.data_mut()).service.mocks.calls(interface, function);
        results[0] = Val::List(calls.into_iter().map(Val::String).collect());
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_in_order_and_calls_are_recorded() {
        let interface = InterfaceName::parse("example:shop/stock@0.1.0").unwrap();
        let table = MockTable::from([(interface, BTreeMap::from([("reserve".to_owned(), vec!["ok".to_owned()])]))]);
        let book = MockBook::new(&table);
        book.answer("example:shop/stock", "reserve", "err(out-of-stock)".into()).unwrap();
        assert_eq!(book.call("example:shop/stock", "reserve", "(1, 2)".into()).as_deref(), Some("ok"));
        assert_eq!(book.call("example:shop/stock", "reserve", "(3, 4)".into()).as_deref(), Some("err(out-of-stock)"));
        assert_eq!(book.call("example:shop/stock", "reserve", "(5, 6)".into()), None);
        assert_eq!(book.calls("example:shop/stock@0.1.0", "reserve"), ["(1, 2)", "(3, 4)", "(5, 6)"]);
        assert!(book.answer("example:shop/other", "f", "1".into()).unwrap_err().contains("is not mocked"));
    }
}
