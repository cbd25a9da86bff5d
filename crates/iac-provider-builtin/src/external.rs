//! Provider `external`, after hashicorp/external: the `external` data
//! source runs `program` (no shell) in `working_dir` (the stack's directory
//! by default), writes `query` to its standard input as a JSON object of
//! strings, and reads back a JSON object of strings from its standard
//! output as `result`. A failure names the program and carries what it
//! wrote to standard error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use tokio::io::AsyncWriteExt;

use crate::error::Error;

/// The configured `external` provider.
pub struct External {
    /// Programs run here, and relative paths resolve against it.
    base: PathBuf,
}

impl Configured for External {
    type Error = Error;
    const NAME: &'static str = "external";
}

#[async_trait]
impl Configure for External {
    fn types() -> Types<External> {
        Types::new().data_source(ExternalData)
    }
    async fn configure(req: &ConfigureRequest) -> Result<External, ProviderError> {
        Ok(External { base: req.context.stack_dir.clone() })
    }
}

/// The `external` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ExternalModel {
    /// The program to run and its arguments (run directly, not through a shell).
    #[sdk(required)]
    program: Vec<Option<String>>,
    /// Working directory of the program; the stack's directory when not set.
    #[sdk(optional)]
    working_dir: Option<String>,
    /// A map of string values passed to the program as a JSON object on its standard input.
    #[sdk(optional)]
    query: Option<BTreeMap<String, Option<String>>>,
    /// The JSON object of strings the program printed.
    #[sdk(computed)]
    result: Option<BTreeMap<String, String>>,
    /// Always `-`.
    #[sdk(computed)]
    id: Option<String>,
}

/// What the program is shown as in messages: its arguments too.
fn shown(program: &[String]) -> String {
    program.iter().map(|a| if a.contains(' ') { format!("{a:?}") } else { a.clone() }).collect::<Vec<_>>().join(" ")
}

/// Reads the program's output: a JSON object whose values are strings
/// (null reads as "", as upstream's decoder does).
pub fn parse_result(program: &str, stdout: &[u8], stderr: &str) -> Result<BTreeMap<String, String>, Error> {
    let bad = |why: String| {
        let text = String::from_utf8_lossy(stdout);
        let printed = if text.trim().is_empty() { "nothing".to_string() } else { format!("{:?}", truncate(text.trim(), 300)) };
        let mut m = format!("external program `{program}` must print a JSON object of string values on standard output: {why}; it printed {printed}");
        if !stderr.trim().is_empty() {
            m.push_str(&format!("\nstandard error: {}", truncate(stderr.trim(), 2000)));
        }
        Error::Failed(m)
    };
    let v: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| bad(format!("not JSON ({e})")))?;
    let serde_json::Value::Object(obj) = v else { return Err(bad("not an object".into())) };
    obj.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            serde_json::Value::Null => Ok((k, String::new())),
            other => Err(bad(format!("the value of {k:?} is not a string but {other}"))),
        })
        .collect()
}

/// The error of a program that exited unsuccessfully.
pub fn exit_failure(program: &str, status: &std::process::ExitStatus, stderr: &str) -> Error {
    let how = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("was stopped ({status})"),
    };
    if stderr.trim().is_empty() {
        Error::Failed(format!("external program `{program}` {how}; it wrote nothing to standard error"))
    } else {
        Error::Failed(format!("external program `{program}` {how}: {}", truncate(stderr.trim(), 4000)))
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Resolves a path against the stack's directory.
fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The `external` data source.
pub struct ExternalData;

#[async_trait]
impl DataSource<External> for ExternalData {
    type Model = ExternalModel;
    const TYPE: &'static str = "external";

    async fn read(&self, cx: &Ctx<'_, External>, mut config: ExternalModel) -> Result<ExternalModel, Error> {
        let program: Vec<String> = config.program.iter().flatten().filter(|a| !a.is_empty()).cloned().collect();
        let Some(first) = program.first() else {
            return Err(Error::Invalid("external: program is empty: it needs at least one non-empty element, the program to run".into()));
        };
        let name = shown(&program);
        let dir = match config.working_dir.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => resolve(&cx.provider.base, d),
            None => cx.provider.base.clone(),
        };
        // A path with a slash is a file relative to the working directory;
        // a bare name is looked up in PATH.
        let exe = if first.contains('/') { resolve(&dir, first) } else { PathBuf::from(first) };
        let query: BTreeMap<&String, &String> = config.query.iter().flatten().filter_map(|(k, v)| Some((k, v.as_ref()?))).collect();
        let input = serde_json::to_vec(&query).map_err(|e| Error::Failed(format!("external: encoding the query: {e}")))?;
        let mut child = tokio::process::Command::new(&exe)
            .args(&program[1..])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Failed(format!("external program `{name}` could not be started in {}: {e}", dir.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A program that does not read its input may close it early: not an error.
            let _ = stdin.write_all(&input).await;
        }
        let out = child.wait_with_output().await.map_err(|e| Error::Failed(format!("external program `{name}`: {e}")))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(exit_failure(&name, &out.status, &stderr));
        }
        config.result = Some(parse_result(&name, &out.stdout, &stderr)?);
        config.id = Some("-".into());
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn results_are_objects_of_strings() {
        let ok = parse_result("p", br#"{"a": "1", "b": null}"#, "").unwrap();
        assert_eq!(ok.get("a").map(String::as_str), Some("1"));
        assert_eq!(ok.get("b").map(String::as_str), Some(""), "null reads as an empty string");
        let e = parse_result("./get-ami.sh --region x", br#"{"a": 1}"#, "warning: slow\n").unwrap_err().to_string();
        assert!(e.contains("`./get-ami.sh --region x`"), "names the program: {e}");
        assert!(e.contains("the value of \"a\" is not a string but 1"), "{e}");
        assert!(e.contains("standard error: warning: slow"), "carries stderr: {e}");
        let e = parse_result("p", b"[1, 2]", "").unwrap_err().to_string();
        assert!(e.contains("not an object") && e.contains("it printed \"[1, 2]\""), "{e}");
        let e = parse_result("p", b"", "").unwrap_err().to_string();
        assert!(e.contains("not JSON") && e.contains("it printed nothing"), "{e}");
    }

    #[test]
    fn failures_name_the_program_and_its_stderr() {
        let status = std::process::ExitStatus::from_raw(3 << 8);
        let e = exit_failure("lookup.py", &status, "Traceback: KeyError 'name'\n").to_string();
        assert_eq!(e, "external program `lookup.py` exited with status 3: Traceback: KeyError 'name'");
        let e = exit_failure("lookup.py", &status, "").to_string();
        assert_eq!(e, "external program `lookup.py` exited with status 3; it wrote nothing to standard error");
        assert_eq!(shown(&["python3".into(), "my script.py".into()]), "python3 \"my script.py\"");
    }
}
