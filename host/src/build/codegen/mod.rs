//! What the host generates for services to build against: the WIT of the typed queries of a
//! service's database and of the typed controls of a test wos's mocks, and the TypeScript
//! declarations of WIT interfaces. Capabilities implement what this
//! describes; they read what was generated and never write it.

pub mod mock_controls;
pub mod queries;
pub mod typescript;
pub mod wit_text;
