//! What an experiment returns, and how the lab writes it: `results.json`, one `.svg` per
//! figure, and a self-contained `report.html`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::{Budget, Experiment};

/// Whether the measurements support the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// They do.
    Yes,
    /// Only some parts of the claim reproduce.
    Partly,
    /// They do not.
    No,
}

impl Support {
    /// From a list of sub-claim checks: all true = yes, none = no, else partly.
    pub fn from_checks(checks: &[bool]) -> Self {
        let held = checks.iter().filter(|c| **c).count();
        match held {
            n if n == checks.len() => Support::Yes,
            0 => Support::No,
            _ => Support::Partly,
        }
    }

    /// The JSON form the issue asks for: `true`, `false` or `"partly"`.
    fn to_json(self) -> Value {
        match self {
            Support::Yes => json!(true),
            Support::No => json!(false),
            Support::Partly => json!("partly"),
        }
    }
}

/// One figure: written as `file` in the output directory and inlined in the report.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File name (`<experiment>-<what>.svg`).
    pub file: String,
    /// What it shows, with units.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// One table of the report.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// What it shows.
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// Everything an experiment found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The lecture's claim, in words.
    pub claim: String,
    /// The numbers behind the verdict.
    pub measurements: Value,
    /// The verdict.
    pub supported: Support,
    /// The verdict in words, citing the measurements.
    pub verdict: String,
    /// Figures.
    pub figures: Vec<Figure>,
    /// Tables.
    pub tables: Vec<Table>,
    /// The exact configuration (so a reader can rerun it).
    pub config: Value,
    /// Every seed used.
    pub seeds: Vec<u64>,
}

/// One finished experiment, successful or not.
pub struct Entry {
    name: &'static str,
    title: &'static str,
    outcome: Option<Outcome>,
    /// The error message, when the experiment failed.
    pub error: Option<String>,
    seconds: f64,
}

impl Entry {
    /// Wraps an experiment's result.
    pub fn new(exp: &Experiment, result: downhill::Result<Outcome>, seconds: f64) -> Self {
        let (outcome, error) = match result {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            name: exp.name,
            title: exp.title,
            outcome,
            error,
            seconds,
        }
    }

    /// The `results.json` object.
    fn to_json(&self) -> Value {
        let Some(o) = &self.outcome else {
            return json!({
                "name": self.name, "title": self.title, "claim": null, "measurements": {},
                "supported": null, "verdict_text": null, "figures": [], "config": {},
                "seeds": [], "error": self.error, "runtime_s": self.seconds,
            });
        };
        json!({
            "name": self.name,
            "title": self.title,
            "claim": o.claim,
            "measurements": o.measurements,
            "supported": o.supported.to_json(),
            "verdict_text": o.verdict,
            "figures": o.figures.iter().map(|f| f.file.clone()).collect::<Vec<_>>(),
            "config": o.config,
            "seeds": o.seeds,
            "runtime_s": self.seconds,
        })
    }
}

/// Writes the figures, `results.json` and `report.html` into `dir`.
///
/// # Errors
/// A file that cannot be written.
pub fn write(dir: &Path, budget: Budget, entries: &[Entry], total_s: f64) -> downhill::Result<()> {
    for f in entries
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .flat_map(|o| &o.figures)
    {
        downhill::write_atomic(&dir.join(&f.file), f.svg.as_bytes())?;
    }
    let results: Vec<Value> = entries.iter().map(Entry::to_json).collect();
    let text = serde_json::to_string_pretty(&results)
        .map_err(|e| downhill::Error::Data(format!("results.json: {e}")))?;
    downhill::write_atomic(&dir.join("results.json"), text.as_bytes())?;
    let html = html(budget, entries, total_s);
    downhill::write_atomic(&dir.join("report.html"), html.as_bytes())
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;\
color:#222;line-height:1.45}h1{margin-bottom:0}section{border-top:2px solid #ccc;margin-top:2em}\
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}td,th{border:1px solid #bbb;\
padding:.25em .6em;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}\
.v{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;font-weight:bold}\
.yes{background:#2a7d2a}.partly{background:#b07800}.no{background:#b02a2a}.err{background:#555}\
figure{margin:1em 0}figcaption{font-size:.9em;color:#444;max-width:900px}\
figure svg{max-width:100%;height:auto}pre{background:#f5f5f5;padding:.6em;overflow-x:auto;\
font-size:.85em}.claim{font-style:italic}";

/// The whole page.
fn html(budget: Budget, entries: &[Entry], total_s: f64) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>downhill lab</title><style>{STYLE}</style></head><body>\
         <h1>downhill lab</h1><p>The claims of the lecture <em>Optimization and regularization \
         in deep learning</em>, reproduced on real data. Budget: <b>{}</b>; total run time \
         {total_s:.1} s. Every number below was measured in this run; the verdicts are computed \
         from them.</p>",
        serde_json::to_value(budget)
            .unwrap_or_default()
            .as_str()
            .unwrap_or("?")
    );
    summary(&mut h, entries);
    for e in entries {
        section(&mut h, e);
    }
    h.push_str("</body></html>\n");
    h
}

/// The verdict badge.
fn badge(e: &Entry) -> String {
    let (class, text) = match e.outcome.as_ref().map(|o| o.supported) {
        Some(Support::Yes) => ("yes", "supported"),
        Some(Support::Partly) => ("partly", "partly supported"),
        Some(Support::No) => ("no", "not supported"),
        None => ("err", "failed to run"),
    };
    format!("<span class=\"v {class}\">{text}</span>")
}

/// The table of contents with verdicts.
fn summary(h: &mut String, entries: &[Entry]) {
    h.push_str("<table><tr><th>experiment</th><th>verdict</th><th>time (s)</th></tr>");
    for e in entries {
        let _ = write!(
            h,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{:.1}</td></tr>",
            e.name,
            esc(e.title),
            badge(e),
            e.seconds
        );
    }
    h.push_str("</table>");
}

/// One experiment's section.
fn section(h: &mut String, e: &Entry) {
    let _ = write!(h, "<section id=\"{}\"><h2>{}</h2>", e.name, esc(e.title));
    let Some(o) = &e.outcome else {
        let msg = e.error.as_deref().unwrap_or("");
        let _ = write!(h, "<p>{} <code>{}</code></p></section>", badge(e), esc(msg));
        return;
    };
    let _ = write!(
        h,
        "<p class=\"claim\">Claim: {}</p><p>{} {}</p>",
        esc(&o.claim),
        badge(e),
        esc(&o.verdict)
    );
    for t in &o.tables {
        table(h, t);
    }
    for f in &o.figures {
        let _ = write!(
            h,
            "<figure>{}<figcaption><b>{}</b>: {}</figcaption></figure>",
            f.svg,
            esc(&f.file),
            esc(&f.caption)
        );
    }
    let pretty = |v: &Value| esc(&serde_json::to_string_pretty(v).unwrap_or_default());
    let _ = write!(
        h,
        "<details><summary>Measurements (JSON)</summary><pre>{}</pre></details>\
         <details><summary>Configuration and seeds</summary><pre>{}\nseeds: {:?}</pre></details>\
         <p>Run time: {:.1} s.</p></section>",
        pretty(&o.measurements),
        pretty(&o.config),
        o.seeds,
        e.seconds
    );
}

/// An HTML table.
fn table(h: &mut String, t: &Table) {
    let _ = write!(h, "<table><caption>{}</caption><tr>", esc(&t.caption));
    for c in &t.header {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for row in &t.rows {
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<td>{}</td>", esc(c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
