//! The command line: the arguments (as listed in `--help`) read into a [`Command`]. Running one
//! is `main`'s job; this only reads, so every usage error is found before anything starts.

use helpdesk_local::safety::ServeFlags;

/// What the runner was asked to do.
#[derive(Debug, PartialEq)]
pub enum Command<'a> {
    /// `serve` (also the default, and what a bare serve flag means).
    Serve(ServeFlags),
    Send {
        file: &'a str,
    },
    Say {
        text: &'a str,
        from: Option<&'a str>,
        name: Option<&'a str>,
    },
    BotEval(crate::try_bot::EvalOptions<'a>),
    Bot(crate::try_bot::Options<'a>),
    Sla(crate::sla_check::Options<'a>),
    /// `load ...` and `dlq ...` read their own arguments.
    Load(&'a [String]),
    Dlq(&'a [String]),
    Provision {
        prefix: &'a str,
    },
    Gdpr {
        action: &'a str,
        wa_id: &'a str,
        by: &'a str,
    },
    Help,
}

impl<'a> Command<'a> {
    /// The command of `args` (without the program name), or the usage to print.
    pub fn parse(args: &'a [String]) -> Result<Self, String> {
        let flag = |name: &str| flag(args, name);
        let json = args.iter().any(|a| a == "--json");
        Ok(match args.first().map(String::as_str) {
            None
            | Some(
                "serve" | "--listen" | "--aws" | "--allow-remote" | "--demo-agents" | "--real-aws",
            ) => Self::Serve(ServeFlags::from_args(args)),
            Some("send") => match args.get(1) {
                Some(file) => Self::Send { file },
                None => return Err("usage: helpdesk-local send FILE".into()),
            },
            Some("say") => match args.get(1) {
                Some(text) => Self::Say {
                    text,
                    from: flag("--from"),
                    name: flag("--name"),
                },
                None => {
                    return Err(
                        "usage: helpdesk-local say TEXT [--from WA_ID] [--name NAME]".into(),
                    );
                }
            },
            Some("bot") if args.get(1).map(String::as_str) == Some("eval") => {
                Self::BotEval(crate::try_bot::EvalOptions {
                    config: flag("--config"),
                    set: flag("--set"),
                    near: flag("--near"),
                    train: flag("--train"),
                    cv: args.iter().any(|a| a == "--cv"),
                })
            }
            Some("bot") => Self::Bot(crate::try_bot::Options {
                config: flag("--config"),
                lang: flag("--lang"),
                json,
            }),
            Some("sla") => Self::Sla(crate::sla_check::Options {
                config: flag("--config"),
                priority: flag("--priority"),
                category: flag("--category"),
                tier: flag("--tier"),
                text: flag("--text"),
                channel: flag("--channel").unwrap_or("whatsapp"),
                start: flag("--start"),
                pauses: args
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| *a == "--pause")
                    .filter_map(|(i, _)| args.get(i + 1).map(String::as_str))
                    .collect(),
                json,
            }),
            Some("load") => Self::Load(&args[1..]),
            Some("dlq") => Self::Dlq(&args[1..]),
            Some("provision") => Self::Provision {
                prefix: flag("--prefix").unwrap_or("local"),
            },
            Some("gdpr") => match (
                args.get(1).map(String::as_str),
                flag("--wa-id"),
                flag("--by"),
            ) {
                (Some(action @ ("export" | "erase")), Some(wa_id), Some(by)) => {
                    Self::Gdpr { action, wa_id, by }
                }
                _ => {
                    return Err(
                        "usage: helpdesk-local gdpr export|erase --wa-id WA_ID --by NAME (who asks: \
                         the audit log keeps it)"
                            .into(),
                    );
                }
            },
            Some("-h" | "--help" | "help") => Self::Help,
            Some(other) => return Err(format!("unknown command {other:?}; try --help")),
        })
    }
}

/// The value after `name`, wherever it is.
pub fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn no_command_or_a_serve_flag_first_means_serve() {
        for line in [
            "",
            "serve --aws",
            "--aws --demo-agents",
            "--listen 0.0.0.0:9000",
        ] {
            let a = args(line);
            assert!(
                matches!(Command::parse(&a), Ok(Command::Serve(_))),
                "{line:?}"
            );
        }
        let a = args("--aws --demo-agents");
        let Ok(Command::Serve(flags)) = Command::parse(&a) else {
            unreachable!()
        };
        assert!(flags.aws && flags.demo_agents && !flags.allow_remote);
    }

    #[test]
    fn commands_read_their_flags_and_missing_arguments_print_the_usage() {
        let a = args("say hallo --from 4915100000001");
        assert_eq!(
            Command::parse(&a),
            Ok(Command::Say {
                text: "hallo",
                from: Some("4915100000001"),
                name: None
            })
        );
        let a = args("provision");
        assert_eq!(
            Command::parse(&a),
            Ok(Command::Provision { prefix: "local" })
        );
        for (line, usage) in [
            ("say", "usage: helpdesk-local say"),
            ("send", "usage: helpdesk-local send FILE"),
            (
                "gdpr export --wa-id 4915100000001",
                "usage: helpdesk-local gdpr",
            ),
            ("frobnicate", "unknown command \"frobnicate\""),
        ] {
            let a = args(line);
            let err = Command::parse(&a).unwrap_err();
            assert!(err.starts_with(usage), "{line}: {err}");
        }
    }
}
