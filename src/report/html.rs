//! The `--report` page: one self-contained HTML file (inline CSS, no script, nothing
//! fetched), readable offline and safe to mail. Everything from the input (paths, example
//! lines) is escaped: a property name is the input's to choose.
//!
//! Rows carry their numbers in `data-` attributes too, so that a test (or a script of the
//! reader's) can take them without scraping cells.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use user_import::{Breakdown, Code, Tally};

use super::codes::{explain, is_warning};
use super::{EXAMPLES, Totals, example_text, path_label};

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #dde2e8;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0}th,td{padding:.25rem .7rem;text-align:left;border-bottom:1px solid #eceff3;vertical-align:top}
th{background:#f4f6f8;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.totals td{font-size:1.35rem;font-weight:600}.status-completed{color:#1a7f37}.status-failed,.status-stopped{color:#b42318}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
.error{color:#b42318}.warning{color:#9a6700}a{color:inherit}
pre{background:#f6f8fa;padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;border-radius:4px}
.chart{display:grid;grid-template-columns:minmax(12rem,max-content) 1fr max-content;gap:.3rem .8rem;align-items:center;margin:.6rem 0}
.track{background:#f0f2f5;height:1rem;border-radius:3px}.bar{height:1rem;border-radius:3px;min-width:2px}
.bar.error{background:#d92d20}.bar.warning{background:#e9a800}
dt{font-weight:600;margin-top:1rem}dd{margin-left:1.2rem}dd p{margin:.2rem 0}.muted{color:#5b6672}
";

/// The whole page.
pub fn render(title: &str, totals: &Totals, tally: &Tally) -> String {
    let mut h = String::with_capacity(64 << 10);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n",
        t = esc(title)
    );
    let _ = writeln!(
        h,
        "<p>Status: <strong id=\"status\" class=\"status-{s}\">{s}</strong>{r}</p>",
        s = totals.status,
        r = totals
            .reason
            .as_deref()
            .map(|r| format!(" ({})", esc(r)))
            .unwrap_or_default()
    );
    h.push_str("<table class=\"totals\" id=\"totals\">\n<tr>");
    let numbers = [
        ("total", "Records", totals.total),
        ("inserted", "Inserted", totals.inserted),
        ("updated", "Updated", totals.updated),
        ("failed", "Failed", totals.failed),
        ("warnings", "Warnings", totals.warnings),
    ];
    for (_, label, _) in numbers {
        let _ = write!(h, "<th class=\"n\">{label}</th>");
    }
    h.push_str("</tr>\n<tr>");
    for (id, _, n) in numbers {
        let _ = write!(h, "<td class=\"n\" id=\"{id}\" data-value=\"{n}\">{n}</td>");
    }
    h.push_str("</tr>\n</table>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\">{} failed records ({} error entries), {} records with warnings ({} \
         warning entries). Percentages are of all {} records; an example is a record's 0-based \
         index in the input (<code>index</code> in the output lines).</p>",
        tally.errors.records,
        tally.errors.entries,
        tally.warnings.records,
        tally.warnings.entries,
        totals.total
    );

    h.push_str("<h2 id=\"chart-title\">Records by code</h2>\n");
    chart(&mut h, tally);

    rows(
        &mut h,
        "errors",
        "Failed records by code and path",
        totals,
        &tally.errors,
    );
    rows(
        &mut h,
        "warnings",
        "Warnings by code and path",
        totals,
        &tally.warnings,
    );

    h.push_str("<h2>Examples</h2>\n");
    let mut any = false;
    for (kind, b) in [("error", &tally.errors), ("warning", &tally.warnings)] {
        for r in b.by_code_path().iter().take(EXAMPLES) {
            any = true;
            let _ = writeln!(
                h,
                "<h3><span class=\"{kind}\">{}</span> at <code>{}</code>: record #{}</h3>\n<pre>{}</pre>",
                r.code,
                esc(&path_label(r)),
                r.example,
                esc(&example_text(r))
            );
        }
    }
    if !any {
        h.push_str("<p>No record failed and none has a warning.</p>\n");
    } else {
        h.push_str(
            "<p class=\"muted\">Error lines are shown as the output writes them: password \
             hashes, salts, keys and TOTP secrets are masked as <code>*****</code>. A warning's \
             example is its warnings array.</p>\n",
        );
    }

    let seen: BTreeSet<&'static str> = tally
        .errors
        .by_code()
        .iter()
        .chain(tally.warnings.by_code().iter())
        .map(|r| r.code.as_str())
        .collect();
    h.push_str("<h2>What the codes mean and how to fix them</h2>\n");
    if seen.is_empty() {
        h.push_str("<p>No code appeared.</p>\n");
    } else {
        h.push_str("<dl id=\"codes\">\n");
        for name in seen {
            let Some(code) = Code::from_name(name) else {
                continue;
            };
            let x = explain(code);
            let kind = if is_warning(code) { "warning" } else { "error" };
            let _ = writeln!(
                h,
                "<dt id=\"code-{name}\"><span class=\"{kind}\">{name}</span> <span class=\"muted\">({kind})</span></dt>\n\
                 <dd><p>{}</p><p><strong>Fix:</strong> {}</p></dd>",
                esc(x.meaning),
                esc(x.fix)
            );
        }
        h.push_str("</dl>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn chart(h: &mut String, tally: &Tally) {
    let errors = tally.errors.by_code();
    let warnings = tally.warnings.by_code();
    let max = errors
        .iter()
        .chain(&warnings)
        .map(|r| r.records)
        .max()
        .unwrap_or(0);
    if max == 0 {
        h.push_str("<p>No record failed and none has a warning.</p>\n");
        return;
    }
    h.push_str("<div class=\"chart\" id=\"chart\">\n");
    for (kind, list) in [("error", &errors), ("warning", &warnings)] {
        for r in list {
            let width = r.records as f64 * 100.0 / max as f64;
            let _ = writeln!(
                h,
                "<a class=\"{kind}\" href=\"#code-{c}\">{c}</a><div class=\"track\"><div class=\"bar {kind}\" style=\"width:{width:.2}%\"></div></div><span class=\"n\" data-code=\"{c}\" data-kind=\"{kind}\" data-records=\"{n}\">{n}</span>",
                c = r.code,
                n = r.records
            );
        }
    }
    h.push_str("</div>\n");
}

fn rows(h: &mut String, id: &str, title: &str, totals: &Totals, b: &Breakdown) {
    let kind = if id == "errors" { "error" } else { "warning" };
    let _ = writeln!(h, "<h2>{title}</h2>");
    if b.records == 0 {
        let _ = writeln!(h, "<p id=\"{id}-none\">None.</p>");
        return;
    }
    let _ = writeln!(
        h,
        "<table id=\"{id}\" data-records=\"{}\" data-entries=\"{}\">\n<thead><tr><th>Code</th><th>Path</th>\
         <th class=\"n\">Records</th><th class=\"n\">%</th><th class=\"n\">Entries</th><th class=\"n\">Example</th></tr></thead>\n<tbody>",
        b.records, b.entries
    );
    for r in b.by_code_path() {
        let path_attr = match r.path {
            Some(p) if !r.other_paths => format!(" data-path=\"{}\"", esc(p)),
            _ => match r.key {
                Some(k) => format!(" data-key=\"{}\"", k.field()),
                None => String::new(),
            },
        };
        let other = if r.other_paths {
            " data-other-paths=\"true\""
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "<tr data-code=\"{c}\"{path_attr}{other} data-records=\"{n}\" data-entries=\"{e}\" data-example=\"{x}\">\
             <td><a class=\"{kind}\" href=\"#code-{c}\">{c}</a></td><td><code>{p}</code></td><td class=\"n\">{n}</td>\
             <td class=\"n\">{pc}</td><td class=\"n\">{e}</td><td class=\"n\">#{x}</td></tr>",
            c = r.code,
            p = esc(&path_label(&r)),
            n = r.records,
            e = r.entries,
            x = r.example,
            pc = totals.percent(r.records),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Text for HTML content and double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
