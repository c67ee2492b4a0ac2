#![deny(clippy::unwrap_used)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use readiness::cli::{Cli, Command};
use readiness::commands;
use readiness::exit::Exit;

/// Plain `readiness [flags]` is `readiness run [flags]`, so the wizard's own flags
/// (`--offline`, `--plain`, …) work without naming the command.
fn with_default_command(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let command = Cli::command();
    let names: Vec<String> = command
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(String::from))
        })
        .chain(["help".to_string()])
        .collect();
    let top_level_only = ["-h", "--help", "-V", "--version"];
    let has_command = args
        .iter()
        .skip(1)
        .any(|a| a.to_str().is_some_and(|a| names.iter().any(|n| n == a)));
    let asks_top_level = args
        .iter()
        .skip(1)
        .any(|a| a.to_str().is_some_and(|a| top_level_only.contains(&a)));
    if !has_command && !asks_top_level {
        args.insert(1.min(args.len()), std::ffi::OsString::from("run"));
    }
    args
}

/// Whether a global flag was typed, before or after the subcommand.
fn given_anywhere(matches: &clap::ArgMatches, id: &str) -> bool {
    let here = matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    here || matches
        .subcommand()
        .is_some_and(|(_, sub)| given_anywhere(sub, id))
}

fn main() -> ExitCode {
    let matches =
        Cli::command().get_matches_from(with_default_command(std::env::args_os().collect()));
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.global.signoff_given = given_anywhere(&matches, "signoff");
    let g = &cli.global;
    let Some(command) = &cli.command else {
        return ExitCode::from(Exit::BadInput as u8);
    };
    let result = match command {
        Command::Run(args) => commands::run(g, args),
        Command::Check(args) => commands::check(g, args),
        Command::Answer(args) => commands::answer(g, args),
        Command::Target(args) => commands::target(g, args),
        Command::Sign(args) => commands::sign(g, args),
        Command::Approve(args) => commands::approve(g, args),
        Command::Attest(args) => commands::attest(g, args),
        Command::Verify(args) => commands::verify(g, args),
        Command::Checklist(c) => commands::checklist(g, c),
        Command::Schema { format } => commands::schema(*format),
        Command::Completions { shell } => {
            // Generated in memory: clap_complete panics when a write fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "readiness", &mut script);
            readiness::term::out_exact(&String::from_utf8_lossy(&script));
            Ok(Exit::Ok)
        }
        Command::Diff(args) => commands::diff(g, args),
        Command::Status(args) => commands::status(g, args),
        Command::Fleet(args) => commands::fleet(g, args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(failure) => {
            // Continuation lines (one per diagnostic) are indented under the headline.
            let mut lines = failure.message.lines();
            readiness::errln!("error: {}", lines.next().unwrap_or_default());
            for line in lines {
                readiness::errln!("  {line}");
            }
            ExitCode::from(failure.exit as u8)
        }
    }
}
