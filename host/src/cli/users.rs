//! `user`: the users of a wos.

use parigot_host::manifest::Manifest;
use parigot_host::users::UserStore;
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;
use wasmtime::error::Context;

use super::*;

/// `parigot-host user`: changes or lists the users of a wos.
pub(crate) fn user(command: UserCommand) -> Result<ExitCode> {
    let store = |args: &UsersArgs| -> Result<UserStore> {
        let manifest = Manifest::load(&args.wos)?;
        Ok(UserStore::new(&args.data_dir.clone().unwrap_or_else(|| manifest.data_folder())))
    };
    let failed = |why: String| wasmtime::format_err!("{why}");
    match command {
        UserCommand::Add(args) => {
            let users = store(&args.users)?;
            parigot_host::users::check_name(&args.name).map_err(failed)?;
            users.add(&args.name, &read_password(&args.name)?).map_err(failed)?;
            tracing::info!("added user `{}` to {}", args.name, users.path().display());
        }
        UserCommand::Passwd(args) => {
            let users = store(&args.users)?;
            if !users.contains(&args.name).map_err(failed)? {
                bail!("there is no user `{}`; `parigot-host user list` shows the users", args.name);
            }
            users.set_password(&args.name, &read_password(&args.name)?).map_err(failed)?;
            tracing::info!("changed the password of user `{}`", args.name);
        }
        UserCommand::Remove(args) => {
            store(&args.users)?.remove(&args.name).map_err(failed)?;
            tracing::info!("removed user `{}`", args.name);
        }
        UserCommand::List(args) => {
            for name in store(&args)?.list().map_err(failed)? {
                println!("{name}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A new password for user `name`: asked twice without echo on a terminal, else stdin's first
/// line. Never from the command line, where other users of the machine could read it.
pub(crate) fn read_password(name: &str) -> Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for `{name}`: "))?;
        let second = rpassword::prompt_password("the same password again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
