//! Mocks: an interface a wos lists under `[mocks]` is not linked to a provider; the host
//! answers every importer's calls itself, from the interface's own types, with no code
//! written for it. Each function answers from a queue of results in WAVE, filled from the wos
//! (`[mocks."ns:pkg/iface"] function = ["answer", ...]`) and by tests at run time through
//! tests at run time: typed, through the interface [`control`] generates for each mocked
//! interface (`when-F`, `when-F-with` for given arguments, `F-calls`), or in WAVE through
//! `parigot:test/mocks` (`answer`, `calls`). Every call is recorded with its arguments. A call
//! with no rule matching its arguments and no answer left fails, naming the function and its
//! arguments in WAVE.
//!
//! ```toml
//! [mocks."example:shop/stock"]
//! reserve = ["ok", "err(out-of-stock)"]
//! ```
//!
//! The queues and records belong to one start of the wos (`parigot-host test` starts it
//! afresh for every test).

pub mod control;

use super::{ServicePlan, Start, View, WosPlan};
use crate::names::InterfaceName;
use crate::surface::InterfaceSig;
use control::Control;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use wasmtime::component::{Linker, Val};
use wasmtime::{Result, bail};

/// The control interface tests use.
pub const CONTROL_INTERFACE: &str = "parigot:test/mocks@0.1.0";

/// The capability: the host answers the mocked interfaces a wos's services import, and test
/// components steer the answers (in WAVE or typed). Everything is in one [`MockBook`] per start
/// of the wos.
pub struct Mocks;

impl super::Unit for Mocks {
    const ABOUT: super::Capability = super::Capability {
        name: "the mocks of the wos",
        interfaces: &[CONTROL_INTERFACE],
        grant_key: None,
        test_only: true,
    };
    /// The wos's one book, which every service reaches.
    type Service = Arc<MockBook>;
    type Instance = ();

    fn prepare(wos: &WosPlan<'_>, _start: &Start<'_>) -> Result<Vec<Arc<MockBook>>> {
        let book = Arc::new(MockBook::new(wos.mocks));
        Ok(wos.services.iter().map(|_| book.clone()).collect())
    }

    /// Links the mocked interfaces `service` imports, and the controls it imports.
    fn link<T: Send + 'static>(
        linker: &mut Linker<T>,
        wos: &WosPlan<'_>,
        service: &ServicePlan<'_>,
        view: fn(&mut T) -> View<'_, Self>,
    ) -> Result<()> {
        let name = service.name;
        for (import, sig) in service.imports.iter().filter(|(import, _)| mocks(wos.mocks, import)) {
            tracing::info!("linking `{name}`: `{import}` -> a mock");
            let functions: Vec<String> = sig.functions.keys().cloned().collect();
            add_mock_to_linker(linker, import, &functions, view)?;
        }
        if service.imports.keys().any(is_control) {
            add_control_to_linker(linker, view)?;
        }
        for (import, sig) in service.imports {
            let Some(target) = control::steered(wos.mocks, import) else { continue };
            let Some(target_sig) = wos.mocked.get(target.path()) else {
                bail!(
                    "service `{name}` imports `{import}`, which steers the mock of `{target}`, but no service of the \
                     wos imports `{target}`; remove it from `[mocks]` or test a service that uses it"
                );
            };
            let functions: Vec<String> = sig.functions.keys().cloned().collect();
            add_typed_control_to_linker(linker, import, target, target_sig, &functions, view)
                .map_err(|error| error.context(format!("cannot link service `{name}`")))?;
        }
        Ok(())
    }
}

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

/// What a mocked function answers.
#[derive(Debug, Clone)]
enum Answer {
    /// In WAVE, read with the function's result type when it is called.
    Wave(String),
    /// A value of the result type, from typed control (`None`: the function has no result).
    Value(Option<Val>),
}

/// The most calls of one mocked function that are recorded (answered past it, not recorded).
const MAX_RECORDED_CALLS: usize = 10_000;

/// The answers and calls of every mocked function, for one start of a wos.
#[derive(Debug, Default)]
pub struct MockBook {
    /// By (interface without version, function).
    functions: Mutex<BTreeMap<(String, String), MockFunction>>,
    /// The mocked interfaces (without version).
    interfaces: Vec<String>,
}

/// One call: the function's parameters by name, with the arguments.
type Call = Vec<(String, Val)>;

#[derive(Debug, Default)]
struct MockFunction {
    /// Answers for the next calls, in order.
    queue: VecDeque<Answer>,
    /// Answers for every call with given arguments; the latest rule wins.
    rules: Vec<(Vec<Val>, Answer)>,
    /// The calls so far, up to [`MAX_RECORDED_CALLS`].
    calls: Vec<Call>,
    /// Calls past [`MAX_RECORDED_CALLS`], answered but not recorded.
    unrecorded: u64,
}

impl MockBook {
    /// The book of a wos's `[mocks]`, its queues filled with the answers given there.
    pub fn new(table: &MockTable) -> MockBook {
        let mut functions = BTreeMap::new();
        for (interface, answers) in table {
            for (function, queued) in answers {
                let queue = queued.iter().cloned().map(Answer::Wave).collect();
                functions.insert(
                    (interface.path().to_owned(), function.clone()),
                    MockFunction { queue, ..Default::default() },
                );
            }
        }
        MockBook { functions: Mutex::new(functions), interfaces: table.keys().map(|i| i.path().to_owned()).collect() }
    }

    /// Runs `f` on the entry of `function` of `interface` (a mocked one, any version).
    fn with<R>(&self, interface: &str, function: &str, f: impl FnOnce(&mut MockFunction) -> R) -> Result<R, String> {
        let path = interface.split('@').next().unwrap_or(interface);
        if !self.interfaces.iter().any(|mocked| mocked == path) {
            return Err(format!(
                "`{interface}` is not mocked; list it under `[mocks]` in the wos (mocked: {})",
                if self.interfaces.is_empty() { "none".to_owned() } else { self.interfaces.join(", ") }
            ));
        }
        let mut functions = crate::kernel::lock(&self.functions);
        Ok(f(functions.entry((path.to_owned(), function.to_owned())).or_default()))
    }

    /// Records a call of `function` of `interface` and takes its answer: the latest rule that
    /// matches its arguments, else the next queued answer.
    fn call(&self, interface: &str, function: &str, call: Call) -> Option<Answer> {
        self.with(interface, function, |entry| {
            let args: Vec<&Val> = call.iter().map(|(_, arg)| arg).collect();
            let ruled = entry.rules.iter().rev().find(|(expected, _)| expected.iter().eq(args.iter().copied()));
            let answer = ruled.map(|(_, answer)| answer.clone()).or_else(|| entry.queue.pop_front());
            if entry.calls.len() < MAX_RECORDED_CALLS {
                entry.calls.push(call);
            } else {
                entry.unrecorded += 1;
            }
            if entry.unrecorded == 1 {
                tracing::warn!(
                    "`{interface}#{function}` was called more than {MAX_RECORDED_CALLS} times; later calls are \
                     answered but not recorded"
                );
            }
            answer
        })
        .ok()
        .flatten()
    }

    /// Queues `answer` for the next call of `function` of `interface`.
    fn queue(&self, interface: &str, function: &str, answer: Answer) -> Result<(), String> {
        self.with(interface, function, |entry| entry.queue.push_back(answer))
    }

    /// Answers every later call of `function` of `interface` with arguments `args` with `answer`.
    fn rule(&self, interface: &str, function: &str, args: Vec<Val>, answer: Answer) -> Result<(), String> {
        self.with(interface, function, |entry| entry.rules.push((args, answer)))
    }

    /// The calls of `function` of `interface` so far.
    fn calls(&self, interface: &str, function: &str) -> Vec<Call> {
        self.with(interface, function, |entry| entry.calls.clone()).unwrap_or_default()
    }
}

/// `args` in WAVE, as a tuple: `(1, "a")`.
fn wave_tuple<'v>(args: impl IntoIterator<Item = &'v Val>) -> Result<String> {
    Ok(format!("({})", args.into_iter().map(Val::to_wave).collect::<Result<Vec<_>>>()?.join(", ")))
}

/// Defines every function of the mocked `import` (the name the service imports it by) in
/// `linker`, answering from the book `view` reaches.
fn add_mock_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    import: &InterfaceName,
    functions: &[String],
    view: fn(&mut T) -> View<'_, Mocks>,
) -> Result<()> {
    let mut instance = linker.instance(&import.to_string())?;
    let path = import.path().to_owned();
    let control = control::control_name(import);
    for function in functions {
        let (path, function, control) = (path.clone(), function.clone(), control.clone());
        instance.func_new(&function.clone(), move |mut store, ty, params, results| {
            let call: Call = ty.params().zip(params).map(|((name, _), arg)| (name.to_owned(), arg.clone())).collect();
            let book = &view(store.data_mut()).service;
            let Some(answer) = book.call(&path, &function, call) else {
                bail!(
                    "unexpected call of the mock `{path}#{function}{}`: it has no answer left; queue one with \
                     `when-{function}` of `parigot:mock/{control}` (or `parigot:test/mocks#answer`), or under \
                     `[mocks]` in the wos",
                    wave_tuple(params)?,
                );
            };
            let Some(result_type) = ty.results().next() else { return Ok(()) };
            results[0] = match answer {
                Answer::Value(Some(value)) => value,
                Answer::Value(None) => bail!("the mock's answer for `{path}#{function}` has no value"),
                Answer::Wave(text) => Val::from_wave(&result_type, &text).map_err(|e| {
                    wasmtime::format_err!(
                        "the mock's answer `{text}` for `{path}#{function}` is not its result type: {e}"
                    )
                })?,
            };
            Ok(())
        })?;
    }
    Ok(())
}

/// Defines `parigot:test/mocks` in `linker`, steering the book `view` reaches.
fn add_control_to_linker<T: 'static>(linker: &mut Linker<T>, view: fn(&mut T) -> View<'_, Mocks>) -> Result<()> {
    let mut instance = linker.instance(CONTROL_INTERFACE)?;
    instance.func_new("answer", move |mut store, _ty, params, results| {
        let [Val::String(interface), Val::String(function), Val::String(answer)] = params else {
            bail!("`{CONTROL_INTERFACE}#answer` takes three strings");
        };
        let queued = view(store.data_mut()).service.queue(interface, function, Answer::Wave(answer.clone()));
        results[0] = Val::Result(queued.map(|()| None).map_err(|why| Some(Box::new(Val::String(why)))));
        Ok(())
    })?;
    instance.func_new("calls", move |mut store, _ty, params, results| {
        let [Val::String(interface), Val::String(function)] = params else {
            bail!("`{CONTROL_INTERFACE}#calls` takes two strings");
        };
        let calls = view(store.data_mut()).service.calls(interface, function);
        let waves = calls.iter().map(|call| wave_tuple(call.iter().map(|(_, arg)| arg))).collect::<Result<Vec<_>>>()?;
        results[0] = Val::List(waves.into_iter().map(Val::String).collect());
        Ok(())
    })?;
    Ok(())
}

/// Defines the typed control interface `import` (of [`control::PACKAGE`]) that steers the mock
/// of `mocked`, whose signature is `sig`, in `linker`: each of `functions` (what the importer
/// uses) must be one the host generates for `mocked`.
fn add_typed_control_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    import: &InterfaceName,
    mocked: &InterfaceName,
    sig: &InterfaceSig,
    functions: &[String],
    view: fn(&mut T) -> View<'_, Mocks>,
) -> Result<()> {
    let controls = control::controls_of(sig).map_err(|why| wasmtime::format_err!("`{mocked}`: {why}"))?;
    let mut instance = linker.instance(&import.to_string())?;
    for name in functions {
        let Some(control) = controls.get(name).cloned() else {
            bail!(
                "`{import}#{name}` does not steer the mock of `{mocked}` as the wos has it (stale generated WIT?); \
                 run `parigot-host mocks` on the wos and rebuild the test"
            );
        };
        let function = match &control {
            Control::Queue(f) | Control::Match(f) | Control::Calls(f) => f.clone(),
        };
        let signature = &sig.functions[&function];
        let (has_params, has_result) = (!signature.params.is_empty(), !signature.results.is_empty());
        let path = mocked.path().to_owned();
        instance.func_new(name, move |mut store, _ty, params, results| {
            let book = &view(store.data_mut()).service;
            let answer = |params: &[Val]| Answer::Value(has_result.then(|| params.last().cloned()).flatten());
            let steered = match &control {
                Control::Queue(_) => book.queue(&path, &function, answer(params)),
                Control::Match(_) => {
                    let args = params[..params.len() - usize::from(has_result)].to_vec();
                    book.rule(&path, &function, args, answer(params))
                }
                Control::Calls(_) => {
                    let calls = book.calls(&path, &function);
                    results[0] = if has_params {
                        Val::List(calls.into_iter().map(Val::Record).collect())
                    } else {
                        Val::U32(calls.len() as u32)
                    };
                    Ok(())
                }
            };
            steered.map_err(|why| wasmtime::format_err!("{why}"))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_in_order_rules_match_arguments_and_calls_are_recorded() {
        let interface = InterfaceName::parse("example:shop/stock@0.1.0").unwrap();
        let table = MockTable::from([(interface, BTreeMap::from([("reserve".to_owned(), vec!["ok".to_owned()])]))]);
        let book = MockBook::new(&table);
        let call = |item: u64| vec![("item".to_owned(), Val::U64(item))];
        let answer = |book: &MockBook, item| match book.call("example:shop/stock", "reserve", call(item)) {
            Some(Answer::Wave(text)) => Some(text),
            Some(Answer::Value(value)) => Some(value.unwrap().to_wave().unwrap()),
            None => None,
        };
        book.queue("example:shop/stock", "reserve", Answer::Wave("err(out-of-stock)".into())).unwrap();
        book.rule("example:shop/stock", "reserve", vec![Val::U64(7)], Answer::Value(Some(Val::U32(1)))).unwrap();
        book.rule("example:shop/stock", "reserve", vec![Val::U64(7)], Answer::Value(Some(Val::U32(2)))).unwrap();
        assert_eq!(answer(&book, 1).as_deref(), Some("ok"));
        assert_eq!(answer(&book, 7).as_deref(), Some("2"), "the latest matching rule, not the queue");
        assert_eq!(answer(&book, 3).as_deref(), Some("err(out-of-stock)"));
        assert_eq!(answer(&book, 5), None);
        assert_eq!(answer(&book, 7).as_deref(), Some("2"), "rules last");
        let items: Vec<Val> =
            book.calls("example:shop/stock@0.1.0", "reserve").into_iter().map(|c| c[0].1.clone()).collect();
        assert_eq!(items, [1, 7, 3, 5, 7].map(Val::U64));
        assert!(book.queue("example:shop/other", "f", Answer::Wave("1".into())).unwrap_err().contains("is not mocked"));
    }
}
