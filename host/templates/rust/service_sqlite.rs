//! The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit), and
//! counts each name's visits in its own database, through the typed queries of
//! db/queries.sql.

wit_bindgen::generate!({
    path: "../../wit",
    world: "{{service}}-service",
    generate_all,
});

use exports::{{package_path}}::{{service_snake}}::Guest;
use {{db_path}}::queries;

struct {{Service}};

impl Guest for {{Service}} {
    fn hello(name: String) -> Result<String, String> {
        queries::record_visit(&name).map_err(|error| format!("cannot record the visit: {error:?}"))?;
        let visits = queries::count_visits(&name).map_err(|error| format!("cannot count visits: {error:?}"))?.unwrap_or(0);
        parigot::info!("saying hello"; "greeted" => name.as_str(), "visits" => visits);
        Ok(format!("Hello, {name}! (visit {visits})"))
    }
}

export!({{Service}});
