use std::process::ExitCode;

use clap::Parser;
use readiness::cli::{Cli, Command, RunArgs};
use readiness::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let g = &cli.global;
    let result = match &cli.command {
        None => commands::run(
            g,
            &RunArgs {
                attestation: "readiness-attestation.md".into(),
                ..RunArgs::default()
            },
        ),
        Some(Command::Run(args)) => commands::run(g, args),
        Some(Command::Check(args)) => commands::check(g, args),
        Some(Command::Answer(args)) => commands::answer(g, args),
        Some(Command::Target(args)) => commands::target(g, args),
        Some(Command::Sign(args)) => commands::sign(g, args),
        Some(Command::Attest(args)) => commands::attest(g, args),
        Some(Command::Verify(args)) => commands::verify(g, args),
        Some(Command::Checklist(c)) => commands::checklist(g, c),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(failure) => {
            // Continuation lines (one per diagnostic) are indented under the headline.
            let mut lines = failure.message.lines();
            eprintln!("error: {}", lines.next().unwrap_or_default());
            for line in lines {
                eprintln!("  {line}");
            }
            ExitCode::from(failure.exit as u8)
        }
    }
}
