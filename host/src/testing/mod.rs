//! Testing a wos: its test components run by the host ([`runner`], `parigot-host test`), and
//! ad-hoc calls of its exported functions in WAVE ([`call`]).

pub mod call;
pub mod runner;
