//! The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit).

wit_bindgen::generate!({
    path: "../../wit",
    world: "{{service}}-service",
    generate_all,
});

use exports::{{package_path}}::{{service_snake}}::Guest;

struct {{Service}};

impl Guest for {{Service}} {
    fn hello(name: String) -> String {
        parigot::info!("saying hello"; "greeted" => name.as_str());
        format!("Hello, {name}!")
    }
}

export!({{Service}});
