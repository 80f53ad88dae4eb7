//! The WIT the host generates for services to build against: the typed queries of a service's
//! database and the typed controls of a test wos's mocks. Capabilities implement what this
//! describes; they read what was generated and never write it.

pub mod mock_controls;
pub mod queries;
pub mod wit_text;
