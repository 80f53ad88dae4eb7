//! `call`: one call of an exported function, in WAVE.

use parigot_host::caps::log::render::LogFormat;
use parigot_host::kernel::console;
use parigot_host::manifest::Manifest;
use parigot_host::runtime::BuildPolicy;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::testing::call::AdHocCall;
use std::process::ExitCode;
use wasmtime::Result;

use super::*;

/// `parigot-host call`: starts the wos, makes one call, prints each result in WAVE. A guest
/// that fails exits as a failed program does.
pub(crate) fn call(args: CallArgs, cache: ComponentCache, log_format: LogFormat) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?.for_tests();
    let (app, _) = load_app(manifest, args.start.pulse_ms, BuildPolicy::IfMissing, cache, false)?;
    let (start, _) = start_options(&app, &args.start, log_format)?;
    let call = AdHocCall::parse(&app, &args.call)?;
    async_runtime()?.block_on(async {
        let running = app.start(start).await?;
        let outcome = call.run(&running, args.start.user.as_deref()).await;
        running.shutdown().await;
        // The guests' own output first, then the results.
        console::drain(CONSOLE_PATIENCE);
        match outcome {
            Ok(results) => {
                for result in results {
                    println!("{result}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                report(&error.to_string(), error.chain().skip(1));
                Ok(ExitCode::from(exit::GUEST_FAILED))
            }
        }
    })
}
