//! `officers create|list|password|disable|enable` and `officers token create|revoke|list`: the
//! console's accounts and the officers' admin API tokens, managed on the command line by whoever
//! runs the anchor (there is no sign-up page).

use std::io::BufRead as _;

use anchor_core::cli::{open, CliExtension};
use clap::{Arg, ArgAction, ArgMatches, Command};

use anchor_core::clock::{unix_now, utc_date as date};

use super::Officers;

/// The `officers` command group. Add it to `Anchor::commands` next to the other AML commands.
///
/// Passwords are read from standard input (one line) with `--password-stdin`, or asked for
/// twice on the terminal; never from an argument, which would land in the shell's history and
/// the process list.
pub struct OfficersCommand;

fn password_arg() -> Arg {
    Arg::new("password-stdin")
        .long("password-stdin")
        .action(ArgAction::SetTrue)
        .help("Read the password from the first line of standard input instead of asking")
}

fn username_arg() -> Arg {
    Arg::new("username").required(true).help("The sign-in name (letters, digits, . _ - @)")
}

impl CliExtension for OfficersCommand {
    fn command(&self) -> Command {
        Command::new("officers")
            .about("Compliance officers who sign in to the console at /admin/ (internal listener)")
            .subcommand_required(true)
            .subcommand(
                Command::new("create")
                    .about("Create an officer account")
                    .arg(username_arg())
                    .arg(
                        Arg::new("name")
                            .long("name")
                            .required(true)
                            .value_name("DISPLAY NAME")
                            .help("The name shown in the console and written in the audit trail"),
                    )
                    .arg(password_arg()),
            )
            .subcommand(Command::new("list").about("List officer accounts"))
            .subcommand(
                Command::new("password")
                    .about("Set a new password (unlocks the account and ends its sessions)")
                    .arg(username_arg())
                    .arg(password_arg()),
            )
            .subcommand(
                Command::new("disable").about("Disable an account and end its sessions").arg(username_arg()),
            )
            .subcommand(Command::new("enable").about("Enable a disabled account").arg(username_arg()))
            .subcommand(
                Command::new("token")
                    .about("Officers' tokens for the admin API's decision endpoints (/admin/aml)")
                    .subcommand_required(true)
                    .subcommand(
                        Command::new("create")
                            .about(
                                "Create a token for an officer and print it once (only its SHA-256 is kept)",
                            )
                            .arg(username_arg())
                            .arg(
                                Arg::new("name")
                                    .long("name")
                                    .value_name("LABEL")
                                    .default_value("")
                                    .help("Where the token is used (shown by `officers token list`)"),
                            ),
                    )
                    .subcommand(
                        Command::new("revoke")
                            .about("Revoke one token by its id, or every token of an officer by their name")
                            .arg(
                                Arg::new("target")
                                    .required(true)
                                    .value_name("USERNAME|TOKEN-ID")
                                    .help("A token id (digits) or an officer's sign-in name"),
                            ),
                    )
                    .subcommand(Command::new("list").about("List tokens (never the secret)")),
            )
    }

    fn run(&self, matches: &ArgMatches, config_file: Option<&std::path::Path>) -> Result<(), String> {
        let (_settings, database) = open(config_file)?;
        let officers = Officers::new(database);
        let username = |args: &ArgMatches| args.get_one::<String>("username").cloned().unwrap_or_default();
        match matches.subcommand() {
            Some(("create", args)) => {
                let name = args.get_one::<String>("name").cloned().unwrap_or_default();
                let password = read_password(args.get_flag("password-stdin"))?;
                officers
                    .create(&username(args), &name, &password, unix_now())
                    .map_err(|err| err.to_string())?;
                println!(
                    "officer `{}` created; they sign in at /admin/login on the internal listener",
                    username(args)
                );
                Ok(())
            }
            Some(("list", _)) => {
                let accounts = officers.list().map_err(|err| err.to_string())?;
                if accounts.is_empty() {
                    println!(
                        "no officer yet: create one with `officers create NAME --name \"Display Name\"`"
                    );
                }
                let now = unix_now();
                for account in accounts {
                    let state = if !account.active {
                        "disabled"
                    } else if account.locked_until > now {
                        "locked"
                    } else {
                        "active"
                    };
                    println!(
                        "{:<24} {:<32} {:<8} created {}  last sign-in {}",
                        account.username,
                        account.display_name,
                        state,
                        date(account.created_at),
                        account.last_login_at.map_or_else(|| "never".to_string(), date)
                    );
                }
                Ok(())
            }
            Some(("password", args)) => {
                let password = read_password(args.get_flag("password-stdin"))?;
                officers
                    .set_password(&username(args), &password, unix_now())
                    .map_err(|err| err.to_string())?;
                println!("password of `{}` changed; their sessions are ended", username(args));
                Ok(())
            }
            Some(("disable", args)) => {
                officers.set_active(&username(args), false, unix_now()).map_err(|err| err.to_string())?;
                println!("`{}` disabled", username(args));
                Ok(())
            }
            Some(("enable", args)) => {
                officers.set_active(&username(args), true, unix_now()).map_err(|err| err.to_string())?;
                println!("`{}` enabled", username(args));
                Ok(())
            }
            Some(("token", args)) => run_token(&officers, args),
            _ => Err("use `officers create`, `list`, `password`, `disable`, `enable` or `token`".into()),
        }
    }
}

/// `officers token create|revoke|list`.
fn run_token(officers: &Officers, matches: &ArgMatches) -> Result<(), String> {
    match matches.subcommand() {
        Some(("create", args)) => {
            let username = args.get_one::<String>("username").cloned().unwrap_or_default();
            let label = args.get_one::<String>("name").cloned().unwrap_or_default();
            let created =
                officers.create_token(&username, &label, unix_now()).map_err(|err| err.to_string())?;
            // The one place the token is ever shown: standard output, for the officer to keep.
            println!("{}", created.token);
            eprintln!(
                "token {} created for `{username}`: send it as `Authorization: Bearer <token>` to the admin \
                 API's decision endpoints; it is not shown again",
                created.id
            );
            Ok(())
        }
        Some(("revoke", args)) => {
            let target = args.get_one::<String>("target").cloned().unwrap_or_default();
            let revoked = officers.revoke_tokens(&target, unix_now()).map_err(|err| err.to_string())?;
            println!("{revoked} token(s) revoked");
            Ok(())
        }
        Some(("list", _)) => {
            let tokens = officers.tokens().map_err(|err| err.to_string())?;
            if tokens.is_empty() {
                println!("no token yet: create one with `officers token create NAME --name LABEL`");
            }
            for token in tokens {
                println!(
                    "{:<6} {:<24} {:<32} {:<8} created {}  last used {}",
                    token.id,
                    token.username,
                    token.label,
                    if token.officer_active { "active" } else { "disabled" },
                    date(token.created_at),
                    token.last_used_at.map_or_else(|| "never".to_string(), date)
                );
            }
            Ok(())
        }
        _ => Err("use `officers token create`, `revoke` or `list`".into()),
    }
}

/// The password from stdin's first line, or asked twice on the terminal.
fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|err| format!("cannot read standard input: {err}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first =
        rpassword::prompt_password("Password: ").map_err(|err| format!("cannot read the password: {err}"))?;
    let second =
        rpassword::prompt_password("Again: ").map_err(|err| format!("cannot read the password: {err}"))?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}
