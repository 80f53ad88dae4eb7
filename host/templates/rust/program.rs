//! The `{{service}}` program: `parigot-host run` runs it once the services have started. It
//! greets every name the wos gives it in `args` (`[services.{{service}}] args`).

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let ctx = parigot::context::current();
    parigot::info!("greeting {} name(s)", names.len(); "trace" => ctx.trace_id.as_str());
    for name in names {
        println!("Hello, {name}!");
    }
}
