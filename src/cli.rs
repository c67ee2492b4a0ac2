//! Command-line definitions (clap derive). Behaviour lives in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sources::azure::{AuthMode, Cloud};

const AFTER_HELP: &str = "\
Examples:
  readiness                                   start the wizard on the built-in checklist
  readiness check --resource-group rg-robotics-prod-001 --terraform-dir infrastructure/terraform
  readiness check --evidence-dir evidence/ --format json
  readiness run --plain --revisit             line-by-line wizard, asking every item again
  readiness answer net.private-api-server --status pass --note \"private cluster, see PR 12\"
  readiness answer k8s.network-policies --status risk-accepted \\
      --justification \"default-deny lands with OSMO 6.2\" --expires 2027-02-28
  readiness answer net.ddos-waf net.nsg-rules --status not-applicable --note \"no public ingress\"
  readiness target --name robotics-prod --environment prod --cluster aks-robotics-prod
  readiness sign --name \"Dana Reyes\" --role \"platform owner\"
  readiness attest --output readiness-attestation.md
  readiness verify --attestation readiness-attestation.md
  readiness verify --fresh                    exit 1 when anything is open, lapsed or unsigned
  readiness diff last-quarter.toml readiness-signoff.toml --format markdown
  readiness status --within 45 --format ics -o reviews.ics
  readiness checklist validate my-checklist.toml
  readiness checklist show net.azure-cni          guidance, how it is checked, your answer
  readiness schema signoff > schemas/signoff.schema.json
  readiness completions bash > ~/.local/share/bash-completion/completions/readiness

Exit codes: 0 ok · 1 a check or verification failed · 2 bad input or usage · 3 could not check.
Set READINESS_NOW (RFC 3339) to pin the clock for reproducible runs.";

#[derive(Debug, Parser)]
#[command(name = "readiness", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Checklist file to use instead of the built-in one.
    #[arg(long, global = true, value_name = "PATH")]
    pub checklist: Option<PathBuf>,

    /// Sign-off file to read and write.
    #[arg(long, global = true, value_name = "PATH", default_value = crate::signoff::DEFAULT_PATH)]
    pub signoff: PathBuf,

    /// Whether --signoff was given on the command line (not defaulted).
    #[arg(skip)]
    pub signoff_given: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk the checklist and record answers (the default command).
    Run(RunArgs),
    /// Run every automatic check against Azure and the Terraform checkout, without the wizard.
    Check(CheckArgs),
    /// Record an answer for one item or several without the wizard (scripts, bulk updates).
    Answer(AnswerArgs),
    /// Show or set the deployment the sign-off is about.
    Target(TargetArgs),
    /// Sign the sign-off file.
    Sign(SignArgs),
    /// Countersign the signed sign-off with a reviewer's SSH key, without changing it.
    Approve(ApproveArgs),
    /// Render the Markdown attestation for reviewers.
    Attest(AttestArgs),
    /// Check that an attestation matches its sign-off byte for byte (it is rendered again,
    /// as its render record says), and the sign-off its checklist; with --fresh, that nothing
    /// is open, lapsed, expired, unsigned or edited into what `answer` would refuse.
    Verify(VerifyArgs),
    /// What changed between two sign-offs (e.g. last quarter's and this one).
    Diff(DiffArgs),
    /// What lapses soon: answers and risk acceptances due for review.
    Status(StatusArgs),
    /// Judge every AKS cluster in many subscriptions at once, through Azure Resource Graph.
    #[command(after_help = FLEET_AFTER_HELP)]
    Fleet(FleetArgs),
    /// Inspect and validate checklists.
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Print the JSON Schema of a file format, for editors (taplo, Even Better TOML).
    Schema {
        #[arg(value_enum)]
        format: SchemaFormat,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  readiness completions bash > ~/.local/share/bash-completion/completions/readiness
  readiness completions zsh > ~/.zfunc/_readiness        # with fpath+=(~/.zfunc) in .zshrc
  readiness completions fish > ~/.config/fish/completions/readiness.fish";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// The checklist file (same as `readiness checklist schema`).
    Checklist,
    /// The sign-off file.
    Signoff,
}

/// Where the automatic checks read from.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// Azure subscription id (default: AZURE_SUBSCRIPTION_ID, the sign-off's target, then `az account show`).
    #[arg(long, value_name = "ID", help_heading = "Target")]
    pub subscription: Option<String>,
    /// Resource group of the deployment (default: the sign-off's target).
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub resource_group: Option<String>,
    /// AKS cluster name (default: the only one in the resource group).
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub cluster: Option<String>,
    /// Key vault name (default: the only one in the resource group).
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub key_vault: Option<String>,
    /// Container registry name (default: the only one in the resource group).
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub registry: Option<String>,
    /// User-assigned identity whose federated credentials are checked (repeatable; default: all in the resource group).
    #[arg(long = "identity", value_name = "NAME", help_heading = "Target")]
    pub identities: Vec<String>,

    /// Terraform root module to read (repeatable).
    #[arg(long = "terraform-dir", value_name = "DIR", help_heading = "Sources")]
    pub terraform_dirs: Vec<PathBuf>,
    /// Extra tfvars file, applied after terraform.tfvars and *.auto.tfvars (repeatable, in order).
    #[arg(long = "var-file", value_name = "FILE", help_heading = "Sources")]
    pub var_files: Vec<PathBuf>,
    /// Read Azure documents from az CLI JSON files in DIR instead of calling Azure (see README).
    #[arg(long, value_name = "DIR", help_heading = "Sources")]
    pub evidence_dir: Option<PathBuf>,
    /// Skip every network source.
    #[arg(long, help_heading = "Sources")]
    pub offline: bool,

    #[command(flatten)]
    pub azure: AzureArgs,
}

/// How to reach Azure: shared by `check`, `run` and `fleet`.
#[derive(Debug, Clone, Args)]
pub struct AzureArgs {
    /// How to sign in to Azure.
    #[arg(long, value_enum, default_value_t = AuthMode::Auto, help_heading = "Azure")]
    pub auth: AuthMode,
    /// Azure Resource Manager endpoint (default: the cloud's).
    #[arg(long, value_name = "URL", help_heading = "Azure")]
    pub arm_endpoint: Option<String>,
    #[arg(long, value_enum, default_value_t = Cloud::Public, help_heading = "Azure")]
    pub cloud: Cloud,
    /// Seconds one request may take, retries included; a try that hangs is cut at half of
    /// this and tried again (`check` and `run` also bound the whole run to four times this).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), help_heading = "Azure")]
    pub timeout: u64,
    /// The most this run reads from Azure, in MiB of response bodies, before it stops with
    /// "could not check" [default: 128; fleet 1024].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576), help_heading = "Azure")]
    pub max_read_mib: Option<u64>,
    /// The most requests this run sends to Azure, list pages included [default: 5000; fleet
    /// 100000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000), help_heading = "Azure")]
    pub max_requests: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// JUnit XML: one test suite per phase, one test case per automatic item.
    Junit,
    /// SARIF 2.1.0 for code scanning: one rule per item, one result per failing check.
    Sarif,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Output format; with json, junit or sarif, standard output holds only that document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Store each item's automatic result (and the discovered target) in the sign-off.
    #[arg(long)]
    pub record: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Line-by-line prompts instead of the full-screen wizard (screen readers, simple
    /// terminals). Both run the automatic checks with the same source flags as `check`.
    #[arg(long)]
    pub plain: bool,
    /// When to use colour in the full-screen wizard: auto (off when NO_COLOR is set),
    /// always, never. Every status also has a glyph and a word.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = crate::tui::ColorChoice::Auto)]
    pub color: crate::tui::ColorChoice,
    /// Review every answer again, not only the lapsed and changed ones (plain wizard: ask
    /// about each; full-screen: list them with the answers to review).
    #[arg(long)]
    pub revisit: bool,
    /// Who is answering (default: $READINESS_USER or $USER, else git's user.name, else the login account).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Where the wizard writes the attestation when asked to.
    #[arg(long, value_name = "PATH", default_value = "readiness-attestation.md")]
    pub attestation: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Pass,
    Fail,
    NotApplicable,
    RiskAccepted,
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// Item id, as listed by `readiness checklist list`; several take the same answer, saved
    /// together (all or none).
    #[arg(value_name = "ITEM-ID", required = true, num_args = 1..)]
    pub items: Vec<String>,
    #[arg(long, value_enum)]
    pub status: StatusArg,
    /// What was observed or decided.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub note: String,
    /// A link or path backing the answer (repeatable).
    #[arg(long, value_name = "LINK")]
    pub evidence: Vec<String>,
    /// Why the risk is accepted (required with --status risk-accepted).
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,
    /// Last day the risk acceptance holds (required with --status risk-accepted).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
    /// Who answered (default: $READINESS_USER or $USER, else git's user.name, else the login account).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// Each flag sets one field of `[target]`; an empty value clears it. No flag: print it.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Deployment name, e.g. robotics-prod-westeurope.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// dev, staging, prod, …
    #[arg(long, value_name = "ENV")]
    pub environment: Option<String>,
    /// Azure subscription id.
    #[arg(long, value_name = "ID")]
    pub subscription: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub resource_group: Option<String>,
    /// AKS cluster name.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub key_vault: Option<String>,
    /// Container registry name.
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
}

impl TargetArgs {
    /// (field name in the sign-off, value given on the command line)
    pub fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("name", &self.name),
            ("environment", &self.environment),
            ("subscription", &self.subscription),
            ("resource_group", &self.resource_group),
            ("cluster", &self.cluster),
            ("key_vault", &self.key_vault),
            ("registry", &self.registry),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[arg(long, value_name = "NAME")]
    pub name: String,
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// OpenSSH private key to sign with: writes an SSH signature (namespace
    /// readiness-signoff) over the sign-off to `<signoff>.sig`. A passphrase or hardware
    /// key, or a public key whose private half is in ssh-agent, is handed to
    /// `ssh-keygen -Y sign`. Without --key the sign-off is signed by name only, and the
    /// attestation says it is unsigned.
    #[arg(long, value_name = "PATH", requires = "principal")]
    pub key: Option<PathBuf>,
    /// Who signs, as the allowed_signers file names them (e.g. ada@contoso.com).
    #[arg(long, value_name = "EMAIL", requires = "key")]
    pub principal: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// OpenSSH private key of the reviewer.
    #[arg(long, value_name = "PATH")]
    pub key: PathBuf,
    /// The reviewer, as the allowed_signers file names them; the countersignature goes to
    /// `<signoff>.<principal>.sig`.
    #[arg(long, value_name = "EMAIL")]
    pub principal: String,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    /// tera template to use instead of the built-in one.
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,
    /// Write here instead of standard output (`-`: standard output). Replaces only a
    /// regular file, and never a sign-off or a checklist.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The previous quarter's sign-off: adds "Changes since the previous attestation".
    #[arg(long, value_name = "OLD")]
    pub previous: Option<PathBuf>,
    /// `markdown`: the attestation reviewers read. `oscal`: an OSCAL 1.0.6 assessment-results
    /// JSON document (observations, findings for failing, open and risk-accepted items, risks
    /// with their deadline) for compliance tools; not with --template or --previous.
    #[arg(long, value_enum, default_value_t = AttestFormat::Markdown)]
    pub format: AttestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttestFormat {
    Markdown,
    Oscal,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The attestation to check (default: readiness-attestation.md; with --fresh or --signers
    /// only when given).
    #[arg(long, value_name = "PATH")]
    pub attestation: Option<PathBuf>,
    /// Fail (exit 1) when any item is open, any answer has lapsed, any risk acceptance has
    /// expired, or the sign-off is unsigned; or when the sign-off holds what `answer` and
    /// `sign` would refuse (a time in the future, a risk acceptance longer than the checklist
    /// allows, an answer without `item_sha256`, a signature older than an answer).
    #[arg(long)]
    pub fresh: bool,
    /// The custom template the attestation was rendered with (`attest --template`): verify
    /// renders the attestation again, so it needs the same template.
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,
    /// The previous sign-off the attestation was rendered with (`attest --previous`).
    #[arg(long, value_name = "OLD")]
    pub previous: Option<PathBuf>,
    /// `json`: {"schema": "readiness.verify/v1", "ok", "signoff", "checked", "problems"} on
    /// stdout, for pipelines; the exit code is the same.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// An OpenSSH allowed_signers file (as git uses): require a valid SSH signature over the
    /// sign-off (`<signoff>.sig`) by a principal it lists, and check every countersignature
    /// (`<signoff>.<principal>.sig`).
    #[arg(long, value_name = "FILE")]
    pub signers: Option<PathBuf>,
    /// With --signers: at least N valid signatures by distinct principals (default 1).
    #[arg(long, value_name = "N", requires = "signers", value_parser = clap::value_parser!(u32).range(1..))]
    pub require: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier sign-off (e.g. `git show HEAD~1:readiness-signoff.toml > old.toml`).
    pub old: PathBuf,
    /// The later sign-off.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
    /// iCalendar entries, one per due review.
    Ics,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many days ahead to look.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub within: u32,
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    /// Write here instead of standard output (`-`: standard output). Replaces only a
    /// regular file, and never a sign-off or a checklist.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Validate a checklist, reporting every problem with file:line:column.
    Validate {
        /// Checklist file (default: --checklist, else the built-in one).
        path: Option<PathBuf>,
    },
    /// List the items of a checklist.
    List {
        /// Checklist file (default: --checklist, else the built-in one).
        path: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show one item: guidance, references, how it is checked, and the sign-off's answer.
    Show {
        /// Item id, as listed by `readiness checklist list`.
        #[arg(value_name = "ITEM-ID")]
        id: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print the JSON Schema of the checklist format (for editors).
    Schema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

const FLEET_AFTER_HELP: &str = "\
Examples:
  readiness fleet                                   every subscription the credential can see
  readiness fleet --subscription SUB-A --subscription SUB-B --format json
  readiness fleet --management-group mg-robotics --format markdown > fleet.md
  readiness fleet --subscription SUB-A --deep --output signoffs/

Exit codes: 0 no item fails or errs · 1 an item fails on some cluster · 2 bad input or usage
(also: a sign-off under --output that does not parse, left unchanged) · 3 could not check.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Subscription to judge (repeatable; default: every subscription the credential can see).
    #[arg(long = "subscription", value_name = "ID", help_heading = "Scope")]
    pub subscriptions: Vec<String>,
    /// Management group to judge, with every subscription under it (instead of --subscription).
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "subscriptions",
        help_heading = "Scope"
    )]
    pub management_group: Option<String>,
    /// Output format; with json, standard output holds only the `readiness.fleet/v1` JSON.
    #[arg(long, value_enum, default_value_t = FleetFormat::Text)]
    pub format: FleetFormat,
    // Not a doc comment: rustdoc would read the <…> placeholders as HTML tags.
    #[arg(
        long,
        value_name = "DIR",
        help = "Write one sign-off per cluster: DIR/<subscription>/<resource group>/<cluster>.toml."
    )]
    pub output: Option<PathBuf>,
    /// Also read, per resource, what Resource Graph does not hold: diagnostic settings,
    /// federated credentials, the subscription's Defender plan.
    #[arg(long)]
    pub deep: bool,
    /// Seconds the whole run may take (queries, quota waits, --deep reads, judging) before
    /// it stops with "could not check".
    #[arg(long, value_name = "SECONDS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,

    #[command(flatten)]
    pub azure: AzureArgs,
}
