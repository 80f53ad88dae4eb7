//! Testing a wos: ad-hoc calls of its exported functions in WAVE ([`call`]).

pub mod call;
