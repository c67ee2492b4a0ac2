//! Terraform root modules as the JSON documents `terraform:variables` and `terraform:backend`.
//!
//! Files are read with the real HCL parser (`hcl::edit`, which keeps positions for error
//! messages) and values are computed by evaluating each expression with an empty
//! `hcl::eval::Context`: literals, and operations on literals, evaluate; anything that needs a
//! variable, a resource or a function does not. Nothing here runs Terraform.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hcl::edit::Span;
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::eval::{Context, Evaluate};
use serde_json::{Map, Value};

use crate::diag::SourceText;

/// Why a Terraform document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    #[error("Terraform directory {} does not exist", path.display())]
    DirMissing { path: PathBuf },
    #[error("{} is not a directory (a Terraform root module is a directory of *.tf files)", path.display())]
    NotADirectory { path: PathBuf },
    /// Not a regular file, or larger than [`crate::fsread::MAX_TERRAFORM`].
    #[error("could not read {}: {}", .0.path().display(), .0.reason())]
    Unreadable(crate::fsread::ReadError),
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}:{line}:{column}: HCL syntax error: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("var-file {} does not exist", path.display())]
    VarFileMissing { path: PathBuf },
    #[error(
        "{}:{line}:{column}: the value of `{name}` is not a literal value ({reason}); variable definitions files may only hold literal values",
        path.display()
    )]
    NotLiteral {
        path: PathBuf,
        line: usize,
        column: usize,
        name: String,
        reason: String,
    },
    #[error(
        "{}:{line}:{column}: unexpected block `{ident}`; a variable definitions file holds only `name = value` assignments",
        path.display()
    )]
    BlockInVarFile {
        path: PathBuf,
        line: usize,
        column: usize,
        ident: String,
    },
    #[error("{}: invalid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: a JSON variable definitions file must hold one object of `\"name\": value` pairs", path.display())]
    JsonNotObject { path: PathBuf },
    #[error(
        "{}:{line}:{column}: a second backend configuration (`{kind}`); the first is at {first}. Terraform allows one per module",
        path.display()
    )]
    DuplicateBackend {
        path: PathBuf,
        line: usize,
        column: usize,
        kind: String,
        first: String,
    },
}

/// `terraform:variables`: a JSON object of the root module's effective input variables,
/// name -> value.
///
/// Precedence as Terraform applies it: the `default` of each `variable` block in every `*.tf`
/// of `dir` (not subdirectories; `override.tf` / `*_override.tf` replace defaults after the
/// others), overridden by `terraform.tfvars`, then `terraform.tfvars.json`, then
/// `*.auto.tfvars` / `*.auto.tfvars.json` in lexical order, then each of `var_files` in the
/// order given. Variables without a default and not set are absent; values set for undeclared
/// variables are included. A default that is not a literal (a reference, a function call) is
/// JSON null; a tfvars value that is not a literal is an error.
pub fn variables_document(dir: &Path, var_files: &[PathBuf]) -> Result<Value, TerraformError> {
    check_dir(dir)?;
    let mut values: BTreeMap<String, Value> = BTreeMap::new();

    for file in config_files(dir)? {
        let (_, body) = parse_file(&file)?;
        for block in blocks(&body, "variable") {
            let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            // A later declaration without a default (an override) keeps the earlier one.
            if let Some(default) = block.body.get_attribute("default") {
                values.insert(name, literal(default).unwrap_or(Value::Null));
            }
        }
    }

    for file in &var_files_in_order(dir)? {
        apply_var_file(file, &mut values)?;
    }
    for file in var_files {
        if !file.exists() {
            return Err(TerraformError::VarFileMissing { path: file.clone() });
        }
        apply_var_file(file, &mut values)?;
    }

    Ok(Value::Object(values.into_iter().collect()))
}

/// The variable definitions files Terraform reads from `dir` by itself, in the order it
/// applies them: `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` /
/// `*.auto.tfvars.json` in lexical order.
fn var_files_in_order(dir: &Path) -> Result<Vec<PathBuf>, TerraformError> {
    let mut tfvars: Vec<PathBuf> = Vec::new();
    for fixed in ["terraform.tfvars", "terraform.tfvars.json"] {
        let path = dir.join(fixed);
        if path.is_file() {
            tfvars.push(path);
        }
    }
    let mut auto: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .filter(|p| {
            file_name(p)
                .is_some_and(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
                && p.is_file()
        })
        .collect();
    auto.sort_by(|a, b| file_name(a).cmp(&file_name(b)));
    tfvars.extend(auto);
    Ok(tfvars)
}

/// Where a file-backed report (SARIF) should point for a check of `source` over `dir`: the
/// file and line that set the effective value of the first variable in `names`
/// (`terraform:variables`: the last var file or `default` that sets it, else its `variable`
/// block), or the backend block (`terraform:backend`). Otherwise the module's first `*.tf`
/// file without a line. `None` when the directory holds no file to point at.
pub fn locate(
    dir: &Path,
    var_files: &[PathBuf],
    source: crate::checklist::DocumentSource,
    names: &[&str],
) -> Option<(PathBuf, Option<usize>)> {
    let configs = config_files(dir).ok()?;
    let found = match source {
        crate::checklist::DocumentSource::TerraformVariables => names
            .first()
            .and_then(|name| variable_location(dir, &configs, var_files, name)),
        crate::checklist::DocumentSource::TerraformBackend => backend_location(&configs),
        _ => None,
    };
    found
        .map(|(file, line)| (file, Some(line)))
        .or_else(|| configs.into_iter().next().map(|file| (file, None)))
}

fn variable_location(
    dir: &Path,
    configs: &[PathBuf],
    var_files: &[PathBuf],
    name: &str,
) -> Option<(PathBuf, usize)> {
    let mut found: Option<(PathBuf, usize)> = None;
    for file in configs {
        let Ok((source, body)) = parse_file(file) else {
            continue;
        };
        for block in blocks(&body, "variable") {
            if block.labels.first().is_none_or(|l| l.as_str() != name) {
                continue;
            }
            match block.body.get_attribute("default") {
                Some(default) => {
                    found = Some((file.clone(), position(&source, default.span()).0));
                }
                None if found.is_none() => {
                    found = Some((file.clone(), position(&source, block.span()).0));
                }
                None => {}
            }
        }
    }
    let mut files = var_files_in_order(dir).unwrap_or_default();
    files.extend(var_files.iter().filter(|f| f.is_file()).cloned());
    for file in files {
        if file.to_string_lossy().ends_with(".json") {
            // A JSON var file: the line of the first `"name":` key in it.
            let quoted = serde_json::to_string(name).unwrap_or_default();
            if let Some(line) = read(&file).ok().and_then(|text| {
                text.lines()
                    .position(|l| {
                        l.match_indices(&quoted)
                            .any(|(at, _)| l[at + quoted.len()..].trim_start().starts_with(':'))
                    })
                    .map(|at| at + 1)
            }) {
                found = Some((file, line));
            }
            continue;
        }
        let Ok((source, body)) = parse_file(&file) else {
            continue;
        };
        if let Some(attr) = body.get_attribute(name) {
            found = Some((file.clone(), position(&source, attr.span()).0));
        }
    }
    found
}

fn backend_location(configs: &[PathBuf]) -> Option<(PathBuf, usize)> {
    let mut found = None;
    for file in configs {
        let Ok((source, body)) = parse_file(file) else {
            continue;
        };
        for terraform in blocks(&body, "terraform") {
            for block in terraform.body.blocks() {
                if matches!(block.ident.as_str(), "backend" | "cloud") {
                    // An override file's block wins, as in `backend_document`.
                    found = Some((file.clone(), position(&source, block.span()).0));
                }
            }
        }
    }
    found
}

/// `terraform:backend`: the backend block, state files on disk and their standing in git.
///
/// ```json
/// {"backend": null | {"type": "azurerm", "settings": {...}},
///  "local_state_present": false, "initialized_backend": null | "azurerm",
///  "state_gitignored": true, "state_tracked": false}
/// ```
///
/// The backend is `terraform { backend "<type>" { ... } }` or `terraform { cloud { ... } }`
/// (type "cloud") in any `*.tf` of `dir`. Settings hold the block's attributes (non-literal
/// values as null) and nested blocks as objects.
pub fn backend_document(dir: &Path) -> Result<Value, TerraformError> {
    check_dir(dir)?;
    let mut backend: Option<(Value, String)> = None;
    let mut overridden: Option<(Value, String)> = None;

    for file in config_files(dir)? {
        let is_override = is_override_file(&file);
        let (source, body) = parse_file(&file)?;
        for terraform in blocks(&body, "terraform") {
            for block in terraform.body.blocks() {
                let kind = match block.ident.as_str() {
                    "backend" => match block.labels.first() {
                        Some(label) => label.as_str().to_string(),
                        None => continue,
                    },
                    "cloud" => "cloud".to_string(),
                    _ => continue,
                };
                let (line, column) = position(&source, block.span());
                let here = format!("{}:{line}:{column}", file.display());
                let doc = serde_json::json!({"type": kind, "settings": body_settings(&block.body)});
                if is_override {
                    overridden = Some((doc, here));
                } else if let Some((_, first)) = &backend {
                    return Err(TerraformError::DuplicateBackend {
                        path: file.clone(),
                        line,
                        column,
                        kind,
                        first: first.clone(),
                    });
                } else {
                    backend = Some((doc, here));
                }
            }
        }
    }
    let backend = overridden.or(backend).map_or(Value::Null, |(doc, _)| doc);

    let initialized_backend = crate::fsread::read_text(
        &dir.join(".terraform").join("terraform.tfstate"),
        crate::fsread::MAX_TERRAFORM,
    )
    .ok()
    .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    .and_then(|state| {
        state
            .pointer("/backend/type")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
    .map_or(Value::Null, Value::String);

    let state_gitignored = git(
        dir,
        &["check-ignore", "-q", "--no-index", "terraform.tfstate"],
    )
    .is_some_and(|(ok, _)| ok);
    let state_tracked = git(dir, &["ls-files", "-z"]).is_some_and(|(ok, out)| {
        ok && out
            .split(|&b| b == 0)
            .map(String::from_utf8_lossy)
            .any(|f| f.ends_with(".tfstate") || f.contains(".tfstate."))
    });

    Ok(serde_json::json!({
        "backend": backend,
        "local_state_present": dir.join("terraform.tfstate").is_file(),
        "initialized_backend": initialized_backend,
        "state_gitignored": state_gitignored,
        "state_tracked": state_tracked,
    }))
}

/// Converts an HCL value to JSON (HCL numbers are always finite).
pub(crate) fn hcl_to_json(value: hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(b),
        hcl::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        hcl::Value::String(s) => Value::String(s),
        hcl::Value::Array(items) => Value::Array(items.into_iter().map(hcl_to_json).collect()),
        hcl::Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, hcl_to_json(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// The value of an attribute whose expression is a literal (evaluates with no variables and
/// no functions), or why it is not one.
fn literal(attr: &Attribute) -> Result<Value, String> {
    let expr: hcl::Expression = attr.value.clone().into();
    expr.evaluate(&Context::new())
        .map(hcl_to_json)
        .map_err(|e| e.to_string())
}

fn body_settings(body: &Body) -> Value {
    let mut settings = Map::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                settings.insert(
                    attr.key.as_str().to_string(),
                    literal(attr).unwrap_or(Value::Null),
                );
            }
            Structure::Block(block) => {
                let nested = body_settings(&block.body);
                match settings.get_mut(block.ident.as_str()) {
                    Some(Value::Array(list)) => list.push(nested),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, nested]);
                    }
                    None => {
                        settings.insert(block.ident.as_str().to_string(), nested);
                    }
                }
            }
        }
    }
    Value::Object(settings)
}

fn apply_var_file(path: &Path, values: &mut BTreeMap<String, Value>) -> Result<(), TerraformError> {
    if path.to_string_lossy().ends_with(".json") {
        let text = read(path)?;
        let doc: Value = serde_json::from_str(&text).map_err(|source| TerraformError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        let Value::Object(map) = doc else {
            return Err(TerraformError::JsonNotObject {
                path: path.to_path_buf(),
            });
        };
        values.extend(map);
        return Ok(());
    }
    let (source, body) = parse_file(path)?;
    for structure in body.iter() {
        let (line, column) = position(&source, structure.span());
        match structure {
            Structure::Attribute(attr) => {
                let value = literal(attr).map_err(|reason| TerraformError::NotLiteral {
                    path: path.to_path_buf(),
                    line,
                    column,
                    name: attr.key.as_str().to_string(),
                    reason,
                })?;
                values.insert(attr.key.as_str().to_string(), value);
            }
            Structure::Block(block) => {
                return Err(TerraformError::BlockInVarFile {
                    path: path.to_path_buf(),
                    line,
                    column,
                    ident: block.ident.as_str().to_string(),
                });
            }
        }
    }
    Ok(())
}

fn check_dir(dir: &Path) -> Result<(), TerraformError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(TerraformError::NotADirectory {
            path: dir.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(TerraformError::DirMissing {
            path: dir.to_path_buf(),
        }),
        Err(source) => Err(TerraformError::Read {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, TerraformError> {
    let read_err = |source| TerraformError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        paths.push(entry.map_err(read_err)?.path());
    }
    Ok(paths)
}

fn file_name(path: &Path) -> Option<&str> {
    path.file_name().and_then(|n| n.to_str())
}

/// The `*.tf` files Terraform loads from `dir`, in lexical order, override files last.
/// Like Terraform, skips hidden files and editor backups (`.x.tf`, `x.tf~`, `#x.tf#`).
fn config_files(dir: &Path) -> Result<Vec<PathBuf>, TerraformError> {
    let mut files: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .filter(|p| {
            file_name(p).is_some_and(|n| {
                n.ends_with(".tf")
                    && !n.starts_with('.')
                    && !n.starts_with('#')
                    && !n.ends_with('~')
            }) && p.is_file()
        })
        .collect();
    files.sort_by(|a, b| {
        (is_override_file(a), file_name(a)).cmp(&(is_override_file(b), file_name(b)))
    });
    Ok(files)
}

fn is_override_file(path: &Path) -> bool {
    file_name(path).is_some_and(|n| n == "override.tf" || n.ends_with("_override.tf"))
}

fn read(path: &Path) -> Result<String, TerraformError> {
    crate::fsread::read_text(path, crate::fsread::MAX_TERRAFORM).map_err(|e| match e {
        crate::fsread::ReadError::Io { path, source } => TerraformError::Read { path, source },
        other => TerraformError::Unreadable(other),
    })
}

fn parse_file(path: &Path) -> Result<(SourceText, Body), TerraformError> {
    let text = read(path)?;
    match hcl::edit::parser::parse_body(&text) {
        Ok(body) => Ok((SourceText::new(path.display().to_string(), text), body)),
        Err(e) => Err(TerraformError::Syntax {
            path: path.to_path_buf(),
            line: e.location().line(),
            column: e.location().column(),
            message: e.message().to_string(),
        }),
    }
}

fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> {
    body.get_blocks(ident)
}

fn position(source: &SourceText, span: Option<std::ops::Range<usize>>) -> (usize, usize) {
    span.map_or((1, 1), |s| source.position(s.start))
}

/// Runs `git -C dir <args>` quietly. `None` when git cannot be started.
fn git(dir: &Path, args: &[&str]) -> Option<(bool, Vec<u8>)> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    Some((output.status.success(), output.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn eval(text: &str) -> Value {
        let body = hcl::edit::parser::parse_body(&format!("v = {text}\n")).unwrap();
        literal(body.get_attribute("v").unwrap()).unwrap()
    }

    #[test]
    fn literals_convert_to_json() {
        assert_eq!(eval("true"), json!(true));
        assert_eq!(eval("null"), json!(null));
        assert_eq!(eval("42"), json!(42));
        assert_eq!(eval("-3"), json!(-3));
        assert_eq!(eval("1.5"), json!(1.5));
        assert_eq!(
            eval("\"AllowOnlyApprovedOutbound\""),
            json!("AllowOnlyApprovedOutbound")
        );
        assert_eq!(eval("[\"1\", 2, false]"), json!(["1", 2, false]));
        assert_eq!(eval("{}"), json!({}));
        assert_eq!(
            eval(
                "{ gpu = { node_public_ip_enabled = true, tags = [\"a\"] }, \"quoted key\" = null }"
            ),
            json!({"gpu": {"node_public_ip_enabled": true, "tags": ["a"]}, "quoted key": null})
        );
        assert_eq!(eval("<<EOT\nline\nEOT"), json!("line\n"));
    }

    #[test]
    fn references_and_function_calls_are_not_literals() {
        for text in [
            "var.other",
            "lower(\"X\")",
            "\"${var.prefix}-aks\"",
            "local.x ? 1 : 2",
        ] {
            let body = hcl::edit::parser::parse_body(&format!("v = {text}\n")).unwrap();
            assert!(literal(body.get_attribute("v").unwrap()).is_err(), "{text}");
        }
    }

    #[test]
    fn numbers_keep_integer_or_float_kind() {
        assert_eq!(hcl_to_json(hcl::Value::from(i64::MIN)), json!(i64::MIN));
        assert_eq!(hcl_to_json(hcl::Value::from(u64::MAX)), json!(u64::MAX));
        assert_eq!(hcl_to_json(hcl::Value::from(1e300)), json!(1e300));
        assert!(hcl_to_json(hcl::Value::from(2.5)).is_f64());
        // HCL numbers have no integer/float distinction: an integral float is an integer.
        assert_eq!(hcl_to_json(hcl::Value::from(2.0)), json!(2));
    }

    #[test]
    fn precedence_follows_terraform() {
        let dir = module(&[
            (
                "variables.tf",
                r#"
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "f" { default = "default" }
variable "computed" { default = upper("x") }
variable "required" { type = string }
"#,
            ),
            (
                "terraform.tfvars",
                "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\nf = \"tfvars\"\n",
            ),
            (
                "terraform.tfvars.json",
                r#"{"c": "tfvars.json", "d": "tfvars.json", "e": "tfvars.json", "f": "tfvars.json"}"#,
            ),
            (
                "a.auto.tfvars.json",
                r#"{"d": "a.auto.json", "e": "a.auto.json", "f": "a.auto.json"}"#,
            ),
            (
                "b.auto.tfvars",
                "e = \"b.auto\"\nf = \"b.auto\"\nundeclared = 1\n",
            ),
            ("extra.tfvars", "f = \"var-file\"\n"),
            ("sub/terraform.tfvars", "a = \"subdirectory\"\n"),
            ("sub/more.tf", "variable \"sub\" { default = 1 }\n"),
        ]);
        let doc = variables_document(dir.path(), &[dir.path().join("extra.tfvars")]).unwrap();
        assert_eq!(
            doc,
            json!({
                "a": "default", "b": "tfvars", "c": "tfvars.json", "d": "a.auto.json",
                "e": "b.auto", "f": "var-file", "computed": null, "undeclared": 1,
            })
        );
        // Without the var-file the auto file wins; extra.tfvars is not loaded on its own.
        let doc = variables_document(dir.path(), &[]).unwrap();
        assert_eq!(doc["f"], json!("b.auto"));
    }

    #[test]
    fn override_files_replace_defaults_after_the_others() {
        let dir = module(&[
            (
                "a_override.tf",
                "variable \"x\" { default = \"override\" }\n",
            ),
            (
                "b.tf",
                "variable \"x\" { default = \"base\" }\nvariable \"y\" { default = 1 }\n",
            ),
            (
                "override.tf",
                "variable \"y\" { description = \"no default here\" }\n",
            ),
            (".hidden.tf", "variable \"hidden\" { default = 1 }\n"),
        ]);
        let doc = variables_document(dir.path(), &[]).unwrap();
        assert_eq!(doc, json!({"x": "override", "y": 1}));
    }

    #[test]
    fn non_literal_tfvars_value_is_an_error_with_position() {
        let dir = module(&[
            ("variables.tf", "variable \"x\" {}\n"),
            ("terraform.tfvars", "# comment\n  x = var.y\n"),
        ]);
        let err = variables_document(dir.path(), &[]).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                TerraformError::NotLiteral {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{text}"
        );
        assert!(text.contains("terraform.tfvars:2:3"), "{text}");
        assert!(text.contains("`x`"), "{text}");
    }

    #[test]
    fn bad_tfvars_json_and_blocks_are_errors() {
        let dir = module(&[("terraform.tfvars.json", "[1]")]);
        assert!(matches!(
            variables_document(dir.path(), &[]),
            Err(TerraformError::JsonNotObject { .. })
        ));
        let dir = module(&[("terraform.tfvars.json", "{\"x\": ")]);
        assert!(matches!(
            variables_document(dir.path(), &[]),
            Err(TerraformError::Json { .. })
        ));
        let dir = module(&[("terraform.tfvars", "x = 1\nlocals {\n}\n")]);
        let err = variables_document(dir.path(), &[]).unwrap_err();
        assert!(err.to_string().contains("terraform.tfvars:2:1"), "{err}");
    }

    #[test]
    fn cloud_block_is_a_backend_with_nested_settings() {
        let dir = module(&[(
            "main.tf",
            r#"terraform {
  required_version = ">= 1.9.8"
  cloud {
    organization = "contoso"
    hostname     = var.host
    workspaces { name = "robotics-prod" }
  }
}
"#,
        )]);
        let doc = backend_document(dir.path()).unwrap();
        assert_eq!(
            doc["backend"],
            json!({"type": "cloud", "settings": {"organization": "contoso", "hostname": null, "workspaces": {"name": "robotics-prod"}}})
        );
        assert_eq!(doc["local_state_present"], json!(false));
        assert_eq!(doc["initialized_backend"], json!(null));
    }

    #[test]
    fn two_backends_are_an_error_naming_both() {
        let dir = module(&[
            ("a.tf", "terraform {\n  backend \"local\" {}\n}\n"),
            ("b.tf", "terraform {\n  backend \"azurerm\" {}\n}\n"),
        ]);
        let text = backend_document(dir.path()).unwrap_err().to_string();
        assert!(
            text.contains("b.tf:2:3") && text.contains("a.tf:2:3"),
            "{text}"
        );
    }

    #[test]
    fn backend_in_override_file_replaces_the_original() {
        let dir = module(&[
            ("main.tf", "terraform {\n  backend \"local\" {}\n}\n"),
            (
                "override.tf",
                "terraform {\n  backend \"azurerm\" { key = \"k\" }\n}\n",
            ),
        ]);
        let doc = backend_document(dir.path()).unwrap();
        assert_eq!(
            doc["backend"],
            json!({"type": "azurerm", "settings": {"key": "k"}})
        );
    }

    #[test]
    fn unparsable_initialized_state_is_null() {
        let dir = module(&[(".terraform/terraform.tfstate", "{not json")]);
        assert_eq!(
            backend_document(dir.path()).unwrap()["initialized_backend"],
            json!(null)
        );
    }
}
